import Foundation
import ImageCodecs
import ModelRuntime
import PipelineEngine
import TensorCore
import XCTest
import _TestSupport

/// Softmax, argmax, threshold, connected components and label counts against hand-computed
/// masks and naive references.
final class StageTransformsLabelTests: XCTestCase {
    typealias T = StageTransforms
    typealias G = TransformGrids

    // MARK: - Softmax

    func testSoftmaxOverChannelsAgainstDirectFormula() {
        let logits = G.planes([[1, -2], [0.5, 3]], [[2, 0], [0.5, -1]], [[0, 4], [-3, 3]])
        let probabilities = T.softmax(channels: logits)
        var expected = [Float](repeating: 0, count: 12)
        for i in 0..<4 {
            let x = (0..<3).map { Double(logits.values[$0 * 4 + i]) }
            let total = x.map { exp($0) }.reduce(0, +)
            for k in 0..<3 { expected[k * 4 + i] = Float(exp(x[k]) / total) }
        }
        let report = Discrepancy(actual: probabilities.values, expected: expected,
                                 absolute: 1e-6, relative: 0)
        XCTAssertLessThanOrEqual(report.worstExcess, 0, "\(report)")
        XCTAssertEqual(probabilities.channels, 3)
    }

    /// Logits of 1000 would overflow e^x; the maximum is subtracted first.
    func testSoftmaxIsStableForLargeLogits() {
        let probabilities = T.softmax(channels: G.planes([[1000]], [[1001]]))
        let e = exp(1.0)
        XCTAssertEqual(probabilities.values[0], Float(1 / (1 + e)), accuracy: 1e-6)
        XCTAssertEqual(probabilities.values[1], Float(e / (1 + e)), accuracy: 1e-6)
    }

    // MARK: - Argmax and threshold

    /// Ties go to the lowest label.
    func testArgmaxBreaksTiesTowardsTheLowestLabel() {
        let probabilities = G.planes([[0.4, 0.2], [0.3, 0.1]], [[0.4, 0.4], [0.3, 0.2]],
                                     [[0.2, 0.4], [0.3, 0.7]])
        XCTAssertEqual(G.rows(T.argmax(probabilities)), [[0, 1], [0, 2]])
    }

    /// Pixels (p₀, p₁, p₂): (0.7, 0.2, 0.1) is background at t = 0.5 (1 − p₀ = 0.3);
    /// (0.4, 0.25, 0.35) is label 2 though argmax says 0; (0.5, 0.25, 0.25) sits exactly on
    /// the threshold and ties to label 1; (0.2, 0.5, 0.3) is label 1.
    func testThresholdOnForegroundProbability() {
        let probabilities = G.planes([[0.7, 0.4], [0.5, 0.2]], [[0.2, 0.25], [0.25, 0.5]],
                                     [[0.1, 0.35], [0.25, 0.3]])
        XCTAssertEqual(G.rows(T.threshold(probabilities, 0.5)), [[0, 2], [1, 1]])
        XCTAssertEqual(G.rows(T.threshold(probabilities, 0.7)), [[0, 0], [0, 1]])
        XCTAssertEqual(G.rows(T.threshold(probabilities, 0.81)), [[0, 0], [0, 0]])
        XCTAssertEqual(G.rows(T.argmax(probabilities)), [[0, 0], [0, 1]])
    }

    func testThresholdOfASingleChannelIsBackground() {
        XCTAssertEqual(T.threshold(G.planes([[0, 0.5, 1]]), 0).values, [0, 0, 0])
    }

    // MARK: - KeepLargestConnectedComponent

    /// Label 1: a diagonal chain of 3 (kept), a single pixel and a pair. Label 2: a diagonal
    /// chain of 3 and a 2 × 2 square of 4 (kept). Diagonal neighbours are connected.
    func testKeepsTheLargestComponentOfEachLabel() {
        let mask = G.mask([
            [1, 1, 0, 0, 2, 0, 0],
            [0, 0, 1, 0, 0, 2, 0],
            [0, 0, 0, 0, 0, 0, 2],
            [1, 0, 0, 2, 2, 0, 0],
            [0, 0, 0, 2, 2, 0, 1],
            [0, 0, 0, 0, 0, 0, 1],
        ])
        // Removed (row, column): label 2's chain, label 1's single pixel and pair.
        var expected = mask
        for (y, x) in [(0, 4), (1, 5), (2, 6), (3, 0), (4, 6), (5, 6)] {
            expected.values[y * 7 + x] = 0
        }
        XCTAssertEqual(T.keepLargestConnectedComponent(mask), expected)
    }

    /// Labels are independent: touching pixels of different labels never join.
    func testDifferentLabelsDoNotConnect() {
        let mask = G.mask([[1, 1, 2, 0, 2, 2, 2, 0, 1]])
        XCTAssertEqual(T.keepLargestConnectedComponent(mask).values, [1, 1, 0, 0, 2, 2, 2, 0, 0])
    }

    /// Two components of 2: the one whose first pixel comes first in row-major order (index 2,
    /// the right column) wins over the left column (first pixel index 3).
    func testTiesKeepTheComponentFirstInRowMajorOrder() {
        let mask = G.mask([[0, 0, 1], [1, 0, 1], [1, 0, 0]])
        XCTAssertEqual(G.rows(T.keepLargestConnectedComponent(mask)),
                       [[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    }

    /// Random masks of three labels against a naive reference: components found by repeated
    /// relaxation to the smallest pixel index among 8-neighbours of the same label.
    func testRandomMasksAgainstNaiveRelaxation() {
        var generator = SeededGenerator(seed: 11)
        for trial in 0..<20 {
            let width = 1 + generator.nextInt(below: 12)
            let height = 1 + generator.nextInt(below: 12)
            let values = (0..<(width * height)).map { _ in Int32(generator.nextInt(below: 4)) }
            let mask = LabelMap(width: width, height: height, values: values)
            XCTAssertEqual(T.keepLargestConnectedComponent(mask).values,
                           Self.naiveLargestComponents(mask), "trial \(trial)")
        }
    }

    /// A 4096 × 4096 mask: one component of nearly every pixel (traced without recursion) and
    /// one isolated pixel behind a ring of background, which goes.
    func testLargeMaskNeedsNoRecursion() {
        let side = 4096
        var values = [Int32](repeating: 1, count: side * side)
        for (y, x) in [(0, 1), (1, 0), (1, 1)] { values[y * side + x] = 0 }
        let kept = T.keepLargestConnectedComponent(LabelMap(width: side, height: side,
                                                            values: values))
        XCTAssertEqual(kept.values[0], 0)
        XCTAssertEqual(kept.values.reduce(0) { $0 + Int($1) }, side * side - 4)
    }

    static func naiveLargestComponents(_ mask: LabelMap) -> [Int32] {
        let (w, h) = (mask.width, mask.height)
        var root = Array(0..<(w * h))
        var changed = true
        while changed {
            changed = false
            for p in 0..<(w * h) where mask.values[p] != 0 {
                for dy in -1...1 {
                    for dx in -1...1 {
                        let (y, x) = (p / w + dy, p % w + dx)
                        guard y >= 0, y < h, x >= 0, x < w else { continue }
                        let q = y * w + x
                        if mask.values[q] == mask.values[p] && root[q] < root[p] {
                            root[p] = root[q]
                            changed = true
                        }
                    }
                }
            }
        }
        // Component size by root (its first pixel); the largest per label, smallest root on ties.
        var size: [Int: Int] = [:]
        for p in 0..<(w * h) where mask.values[p] != 0 { size[root[p], default: 0] += 1 }
        var best: [Int32: Int] = [:]
        for r in size.keys.sorted() {
            let label = mask.values[r]
            if let b = best[label], size[b]! >= size[r]! { continue }
            best[label] = r
        }
        return (0..<(w * h)).map { p in
            mask.values[p] != 0 && best[mask.values[p]] == root[p] ? mask.values[p] : 0
        }
    }

    // MARK: - Areas

    func testLabelCountsAndAreas() {
        let mask = G.mask([[0, 1, 1], [2, 0, 1]])
        let counts = T.labelCounts(mask, labels: 4)
        XCTAssertEqual(counts, [2, 3, 1, 0])
        XCTAssertEqual(T.areasMM2(counts, pixelSize: PixelSize(x: 0.5, y: 0.25)),
                       [0.25, 0.375, 0.125, 0])
    }
}
