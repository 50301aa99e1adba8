import Canonicalization
import Equivariance
import Foundation
import TensorCore
import XCTest

/// Abstention thresholds chosen from (confidence, correct) pairs, and the rotation and mirror
/// confidences of a pose, against hand-computed values and naive loops.
final class ConfidenceCalibrationTests: XCTestCase {
    /// The threshold a naive loop picks: every confidence seen, lowest first; the first at
    /// which the cases at or above it are right at least `target` of the time, else the one
    /// with the highest such accuracy (the lowest of equals).
    static func naiveThreshold(_ cases: [(confidence: Double, correct: Bool)],
                               target: Double) -> (threshold: Double, reaches: Bool) {
        let candidates = Array(Set(cases.map(\.confidence))).sorted()
        var best = (threshold: candidates[0], accuracy: -1.0)
        for threshold in candidates {
            let acted = cases.filter { $0.confidence >= threshold }
            let accuracy = Double(acted.filter(\.correct).count) / Double(acted.count)
            if accuracy >= target { return (threshold, true) }
            if accuracy > best.accuracy { best = (threshold, accuracy) }
        }
        return (best.threshold, false)
    }

    /// A hand-made list whose selective accuracy is not monotone in the threshold.
    static let handMade: [(confidence: Double, correct: Bool)] = [
        (0.95, true), (0.9, true), (0.9, false), (0.8, true), (0.7, true), (0.6, false),
        (0.5, true), (0.3, false), (0.2, true), (0.1, false),
    ]

    func testThresholdOfAHandMadeList() {
        // By hand: at 0.7 the 5 cases ≥ 0.7 hold 4 right (0.8); every lower threshold is
        // below 0.75 (0.6: 4/6, 0.5: 5/7, 0.3: 5/8, 0.2: 6/9, 0.1: 6/10).
        let choice = ConfidenceCalibration.threshold(Self.handMade, targetAccuracy: 0.75)
        XCTAssertEqual(choice.threshold, 0.7)
        XCTAssertEqual(choice.coverage, 0.5)
        XCTAssertEqual(choice.selectiveAccuracy, 0.8)
        XCTAssertTrue(choice.reachesTarget)
        // 98 %: only the single case at 0.95 (0.9 brings a wrong one in).
        let strict = ConfidenceCalibration.threshold(Self.handMade, targetAccuracy: 0.98)
        XCTAssertEqual(strict.threshold, 0.95)
        XCTAssertEqual(strict.coverage, 0.1)
        XCTAssertTrue(strict.reachesTarget)
        // The most confident case is wrong: 98 % is out of reach, and the best accuracy (2/3
        // at 0.4) is chosen and flagged.
        let unreachable = ConfidenceCalibration.threshold(
            [(0.9, false), (0.5, true), (0.4, true), (0.1, false)], targetAccuracy: 0.98)
        XCTAssertEqual(unreachable.threshold, 0.4)
        XCTAssertEqual(unreachable.selectiveAccuracy, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertFalse(unreachable.reachesTarget)
        for target in [0.5, 0.6, 0.75, 0.8, 0.98, 1] {
            let naive = Self.naiveThreshold(Self.handMade, target: target)
            let choice = ConfidenceCalibration.threshold(Self.handMade, targetAccuracy: target)
            XCTAssertEqual(choice.threshold, naive.threshold, "target \(target)")
            XCTAssertEqual(choice.reachesTarget, naive.reaches, "target \(target)")
        }
    }

    /// Seeded lists with tied confidences agree with the naive loop for every target.
    func testThresholdMatchesTheNaiveLoop() {
        var generator = SeededGenerator(seed: 15)
        for trial in 0..<40 {
            let count = 1 + generator.nextInt(below: 30)
            let cases = (0..<count).map { _ -> (confidence: Double, correct: Bool) in
                let level = generator.nextInt(below: 11)
                // More confident cases are right more often, with exceptions.
                return (Double(level) / 10, generator.nextInt(below: 12) < level + 1)
            }
            for target in [0.5, 0.9, 0.98] {
                let naive = Self.naiveThreshold(cases, target: target)
                let choice = ConfidenceCalibration.threshold(cases, targetAccuracy: target)
                XCTAssertEqual(choice.threshold, naive.threshold, "trial \(trial), \(target)")
                XCTAssertEqual(choice.reachesTarget, naive.reaches, "trial \(trial), \(target)")
                let acted = cases.filter { $0.confidence >= choice.threshold }
                XCTAssertEqual(choice.coverage, Double(acted.count) / Double(count))
            }
        }
    }

    /// Rotation and mirror confidences of D4 scores against softmax sums written out.
    func testRotationAndMirrorConfidence() {
        // Storage order: r0, r1, r2, r3, then r0m … r3m.
        let scores: [Float] = [3, 1, 0, 0, 2.5, 0, 0, 0.5]
        let e = scores.map { exp(Double($0)) }
        let total = e.reduce(0, +)
        let p = e.map { $0 / total }
        let pose = PoseEstimate(group: .d4, scores: scores)
        XCTAssertEqual(pose.index, 0)
        XCTAssertEqual(Double(pose.confidence), p[0] - p[4], accuracy: 1e-6)
        let rotations = [p[0] + p[4], p[1] + p[5], p[2] + p[6], p[3] + p[7]]
        XCTAssertEqual(Double(pose.rotationConfidence), rotations[0] - rotations[1],
                       accuracy: 1e-6)
        XCTAssertEqual(Double(pose.mirrorConfidence), (p[0] - p[4]) / (p[0] + p[4]),
                       accuracy: 1e-6)

        // A pose and its mirror image tied: the pose is a coin toss, the rotation is not.
        let symmetric = PoseEstimate(group: .d4, scores: [0, 0, 4, 0, 0, 0, 4, 0])
        XCTAssertEqual(symmetric.confidence, 0, accuracy: 1e-7)
        XCTAssertEqual(symmetric.mirrorConfidence, 0, accuracy: 1e-7)
        let q = exp(4.0) / (2 * exp(4.0) + 6)
        let other = 1 / (2 * exp(4.0) + 6)
        XCTAssertEqual(Double(symmetric.rotationConfidence), 2 * q - 2 * other, accuracy: 1e-6)
        XCTAssertEqual(symmetric.element.rotation, 2)

        // Without mirrors there is nothing else to decide.
        let cyclic = PoseEstimate(group: .c4, scores: [0, 2, 1, 0])
        XCTAssertEqual(cyclic.rotationConfidence, cyclic.confidence)
        XCTAssertEqual(cyclic.mirrorConfidence, 1)
    }

    /// A policy acts at its thresholds and abstains below them; mirrors of a model whose
    /// mirror is not identifiable are always uncertain; cyclic poses never are; every pose of a
    /// model whose rotation is not identifiable is uncertain, even a certain one.
    func testAbstentionPolicy() {
        let pose = PoseEstimate(group: .d4, scores: [3, 1, 0, 0, 2.5, 0, 0, 0.5])
        let rotation = Double(pose.rotationConfidence)
        let mirror = Double(pose.mirrorConfidence)
        XCTAssertFalse(PoseAbstention(minConfidence: rotation).isUncertain(pose))
        XCTAssertTrue(PoseAbstention(minConfidence: rotation.nextUp).isUncertain(pose))
        XCTAssertFalse(PoseAbstention(mirrorMinConfidence: mirror).isMirrorUncertain(pose))
        XCTAssertTrue(PoseAbstention(mirrorMinConfidence: mirror.nextUp).isMirrorUncertain(pose))
        XCTAssertTrue(PoseAbstention(mirrorIdentifiable: false).isMirrorUncertain(pose))
        XCTAssertFalse(PoseAbstention().isUncertain(pose))
        let sure = PoseEstimate(group: .d4, scores: [90, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(sure.rotationConfidence, 1)
        XCTAssertTrue(PoseAbstention(rotationIdentifiable: false).isUncertain(sure))
        XCTAssertTrue(PoseAbstention(rotationIdentifiable: false).isUncertain(pose))
        let cyclic = PoseEstimate(group: .c4, scores: [0, 2, 1, 0])
        XCTAssertFalse(PoseAbstention(mirrorMinConfidence: 1, mirrorIdentifiable: false)
            .isMirrorUncertain(cyclic))
    }
}
