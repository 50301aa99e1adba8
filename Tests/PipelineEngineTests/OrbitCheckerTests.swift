import Foundation
import ModelRuntime
import Reports
import TensorCore
import XCTest
import _TestSupport
@testable import PipelineEngine

/// The orbit check's arithmetic with stand-in models whose behaviour under turns is known:
/// Dice against a count by hand, consistent and inconsistent classifiers and segmenters.
final class OrbitCheckerTests: XCTestCase {
    /// Dice of each label 1..<labels by a plain count, averaged over labels present.
    func naiveMeanDice(_ a: [Int32], _ b: [Int32], labels: Int) -> Double {
        var scores: [Double] = []
        for label in 1..<labels {
            let inA = a.filter { $0 == label }.count
            let inB = b.filter { $0 == label }.count
            let both = zip(a, b).filter { $0 == label && $1 == label }.count
            if inA + inB > 0 { scores.append(2 * Double(both) / Double(inA + inB)) }
        }
        return scores.isEmpty ? 1 : scores.reduce(0, +) / Double(scores.count)
    }

    func testMeanDiceMatchesAPlainCount() {
        var generator = SeededGenerator(seed: 41)
        var worst = 0.0
        for _ in 0..<20 {
            let a = (0..<(9 * 7)).map { _ in Int32(generator.nextInt(below: 4)) }
            let b = a.map { generator.nextInt(below: 3) == 0 ? Int32(generator.nextInt(below: 4))
                                                             : $0 }
            let dice = OrbitChecker.meanDice(LabelMap(width: 9, height: 7, values: a),
                                             LabelMap(width: 9, height: 7, values: b), labels: 4)
            worst = max(worst, abs(dice - naiveMeanDice(a, b, labels: 4)))
        }
        // Tolerance: both sum the same few doubles; only the order differs.
        XCTAssertLessThan(worst, 1e-12, "worst difference \(worst)")
        let empty = LabelMap(width: 2, height: 2, values: [0, 0, 0, 0])
        XCTAssertEqual(OrbitChecker.meanDice(empty, empty, labels: 3), 1)
        // Label 1 everywhere against label 2 everywhere: both labels present, Dice 0 each.
        XCTAssertEqual(OrbitChecker.meanDice(LabelMap(width: 2, height: 1, values: [1, 1]),
                                             LabelMap(width: 2, height: 1, values: [2, 2]),
                                             labels: 3), 0)
    }

    /// A 3 × 2 image with distinct pixel values, so every element moves it differently.
    let image = ImagePlanes(channels: 1, width: 3, height: 2, values: [1, 2, 3, 4, 5, 6])

    func testAnInvariantClassifierIsConsistentWithNoSpread() {
        // The mean of the pixels does not change under any turn or mirror.
        let stage = OrbitChecker.classification(
            stage: "1 Classify", group: .d4, input: image, identity: [0.25, 0.75],
            classes: ["low", "high"]) { planes in
                let mean = Double(planes.values.reduce(0, +)) / Double(planes.values.count)
                return [mean / 14, 1 - mean / 14]
            }
        XCTAssertTrue(stage.consistent)
        XCTAssertEqual(stage.labels?.count, 8)
        XCTAssertEqual(Set(stage.labels?.values.map { $0 } ?? []), ["high"])
        XCTAssertEqual(stage.probabilitySpread ?? -1, 0, accuracy: 1e-12)
        XCTAssertEqual(stage.group, "D4")
    }

    func testAClassifierThatReadsOneCornerIsInconsistent() throws {
        // It looks at the top-left pixel only: value v gives p(high) = v / 10.
        let stage = OrbitChecker.classification(
            stage: "1 Classify", group: .c4, input: image, identity: [0.9, 0.1],
            classes: ["low", "high"]) { planes in
                let v = Double(planes.values[0]) / 10
                return [1 - v, v]
            }
        // Quarter turns counter-clockwise of [[1 2 3] [4 5 6]] bring 3, 6 and 4 to the top
        // left: p(high) 0.3, 0.6, 0.4, and the identity's own 0.1. Labels: low except at
        // 0.6; the spread of p(high) is 0.6 − 0.1.
        XCTAssertFalse(stage.consistent)
        XCTAssertEqual(stage.labels, ["r0": "low", "r1": "low", "r2": "high", "r3": "low"])
        XCTAssertEqual(stage.probabilitySpread ?? -1, 0.5, accuracy: 1e-12)
    }

    func testAPixelwiseSegmenterIsConsistentAndAShapeBiasedOneIsNot() throws {
        var generator = SeededGenerator(seed: 5)
        let input = ImagePlanes(channels: 1, width: 8, height: 6,
                                values: (0..<48).map { _ in generator.nextFloat() })
        let threshold: (ImagePlanes) -> LabelMap = { planes in
            LabelMap(width: planes.width, height: planes.height,
                     values: planes.values.map { $0 > 0.5 ? 1 : 0 })
        }
        let pixelwise = OrbitChecker.segmentation(
            stage: "2 Segment", group: .d4, input: input, identity: threshold(input), labels: 2,
            minDice: 0.999, predict: threshold)
        XCTAssertTrue(pixelwise.consistent)
        XCTAssertEqual(pixelwise.dice?.count, 8)
        XCTAssertEqual(pixelwise.minDice, 1)

        // Label 1 on the left half of whatever it is shown, whatever the pixels.
        let leftHalf: (ImagePlanes) -> LabelMap = { planes in
            LabelMap(width: planes.width, height: planes.height, values: (0..<(planes.width
                * planes.height)).map { $0 % planes.width < planes.width / 2 ? 1 : 0 })
        }
        let biased = OrbitChecker.segmentation(
            stage: "2 Segment", group: .c4, input: input, identity: leftHalf(input), labels: 2,
            minDice: 0.9, predict: leftHalf)
        // Turned by a half turn, its left half comes back as the right half: no overlap.
        // A quarter turn (6 × 8 shown) marks 3 of 6 columns, which come back as the top (r1)
        // or bottom (r3) 3 rows of the 8 × 6 map: overlap with the left half is 3 × 4 = 12
        // pixels of 24 and 24, Dice 0.5.
        XCTAssertEqual(biased.dice?["r0"], 1)
        XCTAssertEqual(biased.dice?["r2"] ?? -1, 0, accuracy: 1e-12)
        XCTAssertEqual(biased.dice?["r1"] ?? -1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(biased.dice?["r3"] ?? -1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(biased.minDice ?? -1, 0, accuracy: 1e-12)
        XCTAssertFalse(biased.consistent)
    }

    /// Reports' percentiles use the same rule as TensorCore's, which it cannot import.
    func testReportPercentilesAgreeWithTensorCore() {
        var generator = SeededGenerator(seed: 9)
        for count in [1, 2, 5, 17] {
            let sorted = (0..<count).map { _ in generator.nextDouble() * 10 }.sorted()
            for q in [0.0, 5, 37.5, 50, 95, 99, 100] {
                XCTAssertEqual(Distribution.percentile(sorted: sorted, q),
                               Statistics.percentile(sorted: sorted, q), accuracy: 1e-12,
                               "\(count) values, q \(q)")
            }
        }
    }
}
