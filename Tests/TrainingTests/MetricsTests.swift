import Equivariance
import ImageCodecs
import TensorCore
import XCTest
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// Metrics against values worked out by hand (the arithmetic is in the comments).
final class MetricsTests: XCTestCase {
    func testClassificationMetricsByHand() {
        let truth = [0, 0, 1, 1, 2, 2]
        let probabilities: [[Double]] = [
            [0.7, 0.2, 0.1],  // -> 0, right
            [0.3, 0.6, 0.1],  // -> 1, wrong
            [0.2, 0.5, 0.3],  // -> 1, right
            [0.1, 0.8, 0.1],  // -> 1, right
            [0.5, 0.1, 0.4],  // -> 0, wrong
            [0.1, 0.2, 0.7],  // -> 2, right
        ]
        let m = ClassificationMetrics(truth: truth, probabilities: probabilities,
                                      classNames: ["a", "b", "c"])
        XCTAssertEqual(m.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        XCTAssertEqual(m.accuracy, 4.0 / 6, accuracy: 1e-12)
        // Recalls 1/2, 2/2, 1/2.
        XCTAssertEqual(m.balancedAccuracy, 2.0 / 3, accuracy: 1e-12)
        // Precisions: 1 of 2 predicted a, 2 of 3 predicted b, 1 of 1 predicted c.
        XCTAssertEqual(m.perClass.compactMap(\.precision), [0.5, 2.0 / 3, 1], accuracy: 1e-12)
        // F1: 2PR/(P+R) = 0.5, 0.8, 2/3.
        XCTAssertEqual(m.perClass.compactMap(\.f1), [0.5, 0.8, 2.0 / 3], accuracy: 1e-12)
        XCTAssertEqual(m.macroF1, (0.5 + 0.8 + 2.0 / 3) / 3, accuracy: 1e-12)
        // AUC a: positives 0.7, 0.3 vs negatives 0.2 0.1 0.5 0.1 -> 4 + 3 of 8 pairs.
        // AUC b: positives 0.5, 0.8 vs 0.2 0.6 0.1 0.2 -> 3 + 4 of 8. AUC c: 8 of 8.
        XCTAssertEqual(m.perClass.compactMap(\.rocAUC), [0.875, 0.875, 1], accuracy: 1e-12)
        XCTAssertEqual(m.macroRocAUC ?? -1, (0.875 + 0.875 + 1) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.perClass.map(\.support), [2, 2, 2])
    }

    func testClassAbsentFromTruthIsLeftOutOfMeans() {
        // Class c never occurs: its recall, F1 and AUC are undefined; it was predicted once,
        // so its precision is 0 and it lowers the precision of nothing else.
        let m = ClassificationMetrics(truth: [0, 1], probabilities: [[1, 0, 0], [0, 0, 1]],
                                      classNames: ["a", "b", "c"])
        XCTAssertNil(m.perClass[2].recall)
        XCTAssertNil(m.perClass[2].rocAUC)
        XCTAssertEqual(m.perClass[2].precision, 0)
        XCTAssertNil(m.perClass[1].precision, "b is never predicted: precision is undefined")
        XCTAssertEqual(m.perClass[1].f1, 0, "b occurs and is never found")
        XCTAssertEqual(m.balancedAccuracy, 0.5)  // recalls 1 and 0
        XCTAssertEqual(m.accuracy, 0.5)
    }

    func testROCAUCHandlesTiesByAverageRank() {
        // One positive, one negative, equal scores: half a correctly ordered pair.
        XCTAssertEqual(ClassificationMetrics.rocAUC(scores: [0.5, 0.5], positive: [true, false]),
                       0.5)
        // The scikit-learn documentation example: 0.75.
        XCTAssertEqual(ClassificationMetrics.rocAUC(scores: [0.1, 0.4, 0.35, 0.8],
                                                    positive: [false, false, true, true]),
                       0.75)
        // Positives 0.5, 0.9; negatives 0.5, 0.1: pairs (0.5,0.5) = 1/2, others 1 -> 3.5/4.
        XCTAssertEqual(ClassificationMetrics.rocAUC(scores: [0.5, 0.9, 0.5, 0.1],
                                                    positive: [true, true, false, false]),
                       0.875)
        XCTAssertNil(ClassificationMetrics.rocAUC(scores: [0.1, 0.2], positive: [true, true]))
    }

    func testSegmentationMetricsByHand() {
        let truth = [0, 0, 0, 0,
                     0, 1, 1, 0,
                     0, 1, 1, 0,
                     0, 0, 0, 0]
        let predicted = [0, 0, 0, 0,
                         0, 1, 1, 1,
                         0, 0, 1, 0,
                         0, 0, 0, 0]
        let m = SegmentationMetrics(cases: [(predicted, truth, 4, 4)],
                                    labelNames: ["background", "object"])
        // Object: |T| = 4, |P| = 4, overlap 3: Dice 6/8, IoU 3/5.
        XCTAssertEqual(m.perLabel[1].dice ?? -1, 0.75, accuracy: 1e-12)
        XCTAssertEqual(m.perLabel[1].iou ?? -1, 0.6, accuracy: 1e-12)
        // Background: 12 and 12 pixels, overlap 11: Dice 22/24, IoU 11/13.
        XCTAssertEqual(m.perLabel[0].dice ?? -1, 22.0 / 24, accuracy: 1e-12)
        XCTAssertEqual(m.perLabel[0].iou ?? -1, 11.0 / 13, accuracy: 1e-12)
        // All object pixels are boundary pixels. Directed distances truth -> prediction:
        // 0, 0, 1 (pixel (1,2)), 0; prediction -> truth: 0, 0, 1 (pixel (3,1)), 0. The 95th
        // percentile of [0, 0, 0, 1] interpolates at position 2.85: 0.85.
        XCTAssertEqual(m.perLabel[1].hd95 ?? -1, 0.85, accuracy: 1e-12)
        XCTAssertEqual(m.meanDice ?? -1, 0.75, accuracy: 1e-12)  // foreground only
        XCTAssertEqual(m.pixelAccuracy, 14.0 / 16, accuracy: 1e-12)
        XCTAssertEqual(m.perLabel.map(\.truthPixels), [12, 4])
    }

    func testSegmentationEmptyMaskConventions() {
        let zeros = [Int](repeating: 0, count: 9)
        var one = zeros
        one[4] = 1
        // Label 1 absent from both: undefined, left out of the mean over cases.
        let both = SegmentationMetrics.scores(predicted: zeros, truth: zeros, width: 3,
                                              height: 3, label: 1)
        XCTAssertNil(both.dice)
        XCTAssertNil(both.hd95)
        // Present in the truth only: Dice 0 and the image diagonal sqrt(18) as HD95.
        let missed = SegmentationMetrics.scores(predicted: zeros, truth: one, width: 3,
                                                height: 3, label: 1)
        XCTAssertEqual(missed.dice, 0)
        XCTAssertEqual(missed.hd95 ?? -1, 18.0.squareRoot(), accuracy: 1e-12)
        let m = SegmentationMetrics(cases: [(one, one, 3, 3), (zeros, zeros, 3, 3)],
                                    labelNames: ["bg", "fg"])
        XCTAssertEqual(m.perLabel[1].dice, 1)  // mean over the one case where it is defined
        XCTAssertEqual(m.perLabel[1].hd95, 0)
    }

    /// Pixel spacings 1×1 (pixels) and 0.5×1.75 mm (anisotropic) against the brute-force
    /// nearest feature; tolerance 1e-9 mm² for the rounding of the scaled parabolas.
    func testDistanceTransformMatchesBruteForce() {
        var generator = SeededGenerator(seed: 7)
        for spacing in [(x: 1.0, y: 1.0), (x: 0.5, y: 1.75)] {
            var worst = 0.0
            for trial in 0..<20 {
                let width = 5 + trial % 7
                let height = 4 + trial % 5
                let count = width * height
                var features = (0..<count).filter { _ in generator.nextInt(below: 6) == 0 }
                if features.isEmpty { features = [0] }
                let fast = SegmentationMetrics.squaredDistanceTransform(
                    features: features, width: width, height: height, spacing: spacing)
                for i in 0..<count {
                    let (x, y) = (i % width, i / width)
                    let exact = features.map { f -> Double in
                        let dx = Double(f % width - x) * spacing.x
                        let dy = Double(f / width - y) * spacing.y
                        return dx * dx + dy * dy
                    }.min() ?? 0
                    worst = max(worst, abs(exact - fast[i]))
                }
            }
            XCTAssertLessThanOrEqual(worst, 1e-9, "worst squared-distance error \(worst) at "
                                     + "spacing \(spacing)")
        }
    }

    /// HD95 in mm: the by-hand 4×4 case (0.85 px) at 0.5 mm pixels is 0.425 mm, and the
    /// unit is only mm when every case has a pixel size.
    func testHausdorffInMillimetres() {
        let truth = [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]
        let predicted = [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0]
        let half = PixelSize(x: 0.5, y: 0.5)
        let mm = SegmentationMetrics(cases: [(predicted, truth, 4, 4)],
                                     labelNames: ["background", "object"], pixelSizes: [half])
        XCTAssertEqual(mm.hd95Unit, "mm")
        XCTAssertEqual(mm.perLabel[1].hd95 ?? -1, 0.425, accuracy: 1e-12)
        let mixed = SegmentationMetrics(cases: [(predicted, truth, 4, 4), (truth, truth, 4, 4)],
                                        labelNames: ["background", "object"],
                                        pixelSizes: [half, nil])
        XCTAssertEqual(mixed.hd95Unit, "px")
        XCTAssertEqual(mixed.perLabel[1].hd95 ?? -1, (0.85 + 0) / 2, accuracy: 1e-12)
    }

    func testOrientationMetrics() {
        let truth = [GroupElement(mirrored: false, rotation: 0),
                     GroupElement(mirrored: true, rotation: 1),
                     GroupElement(mirrored: false, rotation: 2),
                     GroupElement(mirrored: true, rotation: 3)]
        let predicted = [GroupElement(mirrored: false, rotation: 0),
                         GroupElement(mirrored: false, rotation: 1),
                         GroupElement(mirrored: false, rotation: 0),
                         GroupElement(mirrored: true, rotation: 3)]
        let m = OrientationMetrics(truth: truth, predicted: predicted)
        XCTAssertEqual(m.rotationAccuracy, 0.75)
        XCTAssertEqual(m.mirrorAccuracy, 0.75)
        XCTAssertEqual(m.poseAccuracy, 0.5)
        XCTAssertEqual(m.perPose["r1m"], 0)
        XCTAssertEqual(m.perPose["r3m"], 1)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double,
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, accuracy, "\(a) vs \(b): worst error \(worst)",
                             file: file, line: line)
}
