import Foundation
import TensorCore
import XCTest
import _TestSupport
@testable import Training

/// Percentile bootstrap intervals, against hand-worked cases and a naive loop.
final class BootstrapTests: XCTestCase {
    /// The mean of the drawn values, the statistic of most tests here.
    func meanIntervals(_ values: [Double], settings: BootstrapSettings = BootstrapSettings())
        -> ConfidenceInterval? {
        let intervals = Bootstrap.intervals(count: values.count, settings: settings) { drawn in
            ["mean": drawn.map { values[$0] }.reduce(0, +) / Double(drawn.count)]
        }
        return intervals["mean"] ?? nil
    }

    func testConstantMetricGivesAZeroWidthInterval() throws {
        let interval = try XCTUnwrap(meanIntervals([Double](repeating: 0.75, count: 9)))
        XCTAssertEqual(interval, ConfidenceInterval(low: 0.75, high: 0.75))
        let one = try XCTUnwrap(meanIntervals([0.4]))
        XCTAssertEqual(one, ConfidenceInterval(low: 0.4, high: 0.4))
    }

    /// Two cases scoring 0 and 1: a resample's mean is 0, 1/2 or 1 with probabilities 1/4,
    /// 1/2, 1/4, so with 1000 draws the 2.5th and 97.5th percentiles are 0 and 1.
    func testTwoCasesZeroAndOneSpanTheWholeRange() throws {
        let interval = try XCTUnwrap(meanIntervals([0, 1]))
        XCTAssertEqual(interval, ConfidenceInterval(low: 0, high: 1))
    }

    /// 80 of 100 cases right: the interval is close to the normal approximation
    /// 0.8 ± 1.96 · √(0.8 · 0.2 / 100) = 0.8 ± 0.078 (to 0.02, the bootstrap's own noise and
    /// the discreteness of the proportion).
    func testProportionIntervalMatchesTheNormalApproximation() throws {
        let values = (0..<100).map { $0 % 5 == 0 ? 0.0 : 1.0 }
        let interval = try XCTUnwrap(meanIntervals(values))
        let half = 1.96 * (0.8 * 0.2 / 100).squareRoot()
        XCTAssertEqual(interval.low, 0.8 - half, accuracy: 0.02, "\(interval)")
        XCTAssertEqual(interval.high, 0.8 + half, accuracy: 0.02, "\(interval)")
    }

    /// The documented procedure, written out as a plain loop: draws in order from the seeded
    /// generator, means, sort, linearly interpolated percentiles.
    func testMatchesANaiveLoop() throws {
        var source = SeededGenerator(seed: 77)
        let values = (0..<23).map { _ in source.nextDouble() }
        for (seed, resamples, level) in [(UInt64(0), 1000, 0.95), (5, 200, 0.9)] {
            var generator = SeededGenerator(seed: seed)
            var means: [Double] = []
            for _ in 0..<resamples {
                var sum = 0.0
                for _ in 0..<values.count { sum += values[generator.nextInt(below: values.count)] }
                means.append(sum / Double(values.count))
            }
            means.sort()
            func percentile(_ q: Double) -> Double {
                let position = q * Double(means.count - 1)
                let below = Int(position)
                let above = min(below + 1, means.count - 1)
                return means[below] + (means[above] - means[below]) * (position - Double(below))
            }
            let tail = (1 - level) / 2
            let got = try XCTUnwrap(meanIntervals(values, settings: BootstrapSettings(
                resamples: resamples, seed: seed, level: level)))
            XCTAssertEqual(got.low, percentile(tail), accuracy: 1e-12)
            XCTAssertEqual(got.high, percentile(1 - tail), accuracy: 1e-12)
        }
    }

    /// A metric that is undefined in some resamples is taken over the others; undefined in
    /// all, it has no interval.
    func testUndefinedValuesAreLeftOut() throws {
        let values: [Double?] = [nil, 2, nil]
        let intervals = Bootstrap.intervals(count: 3, settings: BootstrapSettings()) { drawn in
            let defined = drawn.compactMap { values[$0] }
            return ["mean": defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count),
                    "never": nil]
        }
        XCTAssertEqual(intervals["mean"] ?? nil, ConfidenceInterval(low: 2, high: 2))
        XCTAssertEqual(intervals["never"].map { $0 == nil }, true)
        XCTAssertTrue(Bootstrap.intervals(count: 0, settings: BootstrapSettings()) { _ in
            ["x": 1]
        }.isEmpty)
    }
}
