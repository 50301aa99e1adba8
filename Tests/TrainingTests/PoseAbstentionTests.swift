import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import ModelRuntime
import TensorCore
import Training
import XCTest
import _TestSupport

/// Abstention where it acts: coverage and selective accuracy of evaluation, and scans that
/// are not turned (or not mirrored) when the pose is too unsure.
final class PoseAbstentionTests: XCTestCase {
    /// Four hand-made poses under thresholds 0.5: a sure right pose, a sure wrong rotation, an
    /// unsure pose and a sure rotation with a tied mirror; figures counted by hand.
    func testCoverageAndSelectiveAccuracy() {
        let group = Group.d4
        func element(_ rotation: Int) -> GroupElement {
            GroupElement(mirrored: false, rotation: rotation)
        }
        let truth = [element(0), element(1), element(0), element(3)]
        let estimates = [
            PoseEstimate(group: group, scores: [5, 0, 0, 0, 0, 0, 0, 0]),  // r0, sure
            PoseEstimate(group: group, scores: [0, 0, 5, 0, 0, 0, 0, 0]),  // r2, sure, wrong
            PoseEstimate(group: group, scores: [0.1, 0, 0, 0, 0, 0, 0, 0]),  // r0, unsure
            PoseEstimate(group: group, scores: [0, 0, 0, 5, 0, 0, 0, 5]),  // r3, mirror tied
        ]
        let policy = PoseAbstention(minConfidence: 0.5, mirrorMinConfidence: 0.5)
        XCTAssertEqual(estimates.map(policy.isUncertain), [false, false, true, false])
        // The unsure pose's mirror is unsure too: |e^0.1 − 1| / (e^0.1 + 1) ≈ 0.05.
        XCTAssertEqual(estimates.map(policy.isMirrorUncertain), [false, false, true, true])
        let metrics = OrientationMetrics(truth: truth, estimates: estimates, abstention: policy)
        XCTAssertEqual(metrics.rotationAccuracy, 0.75)
        XCTAssertEqual(metrics.coverage, 0.75)
        XCTAssertEqual(try XCTUnwrap(metrics.selectiveRotationAccuracy), 2.0 / 3.0,
                       accuracy: 1e-12)
        XCTAssertEqual(metrics.mirrorCoverage, 0.5)
        XCTAssertEqual(metrics.selectiveMirrorAccuracy, 1)
        // Without a policy there is nothing to cover.
        let plain = OrientationMetrics(truth: truth, estimates: estimates, abstention: nil)
        XCTAssertNil(plain.coverage)
        XCTAssertEqual(plain.rotationAccuracy, 0.75)
    }

    /// Below the rotation threshold nothing is written; at it the scan is turned upright; with
    /// the mirror not identifiable only the rotation is undone.
    func testAbstentionTurnsNothingBelowTheThreshold() throws {
        let folder = temporaryFolder(prefix: "equiscan-abstain")
        let canonicalizer = try DiscreteCanonicalizer(configuration: .init(
            group: .d4, preprocessing: .init(size: 16),
            network: .init(fields: [4, 4], poolingSteps: 1, seed: 3)))
        canonicalizer.eval()
        let scans = ScanCanonicalizer(canonicalizer)
        var generator = SeededGenerator(seed: 9)
        let pixels = (0..<(16 * 20)).map { _ in UInt8(generator.nextInt(below: 256)) }
        let draft = folder + "/draft.png"
        try TestImages.writeGrayPNG(width: 20, height: 16, pixels: pixels, to: draft)
        var scan = try ImageDecoder.decode(path: draft)
        // A mirrored pose, so that leaving the mirror alone is visible: pose(F·x) = F·pose(x).
        if try !scans.pose(of: scan, file: draft).mirrored { scan = scan.mirrored() }
        let input = folder + "/scan.png"
        try ImageEncoder.write(scan, to: input, format: .png)
        let pose = try scans.pose(of: scan, file: input)
        XCTAssertTrue(pose.mirrored, "the mirrored draft has a mirrored pose")
        let rotation = Double(pose.rotationConfidence)

        let below = folder + "/below.png"
        let (_, none) = try scans.process(input, page: nil, destination: below,
                                          abstention: PoseAbstention(minConfidence: rotation
                                            .nextUp))
        XCTAssertNil(none)
        XCTAssertFalse(FileManager.default.fileExists(atPath: below))

        let at = folder + "/at.png"
        let (_, written) = try scans.process(input, page: nil, destination: at,
                                             abstention: PoseAbstention(minConfidence: rotation))
        XCTAssertEqual(written, at)
        let upright = scan.rotated90(times: -Int(pose.quarterTurns)).mirrored()
        XCTAssertEqual(try ImageDecoder.decode(path: at).samples, upright.samples)

        let unmirrored = folder + "/unmirrored.png"
        _ = try scans.process(input, page: nil, destination: unmirrored,
                              abstention: PoseAbstention(mirrorIdentifiable: false))
        let turnedOnly = try ImageDecoder.decode(path: unmirrored)
        let expected = scan.rotated90(times: -Int(pose.quarterTurns))
        XCTAssertEqual(turnedOnly.samples, expected.samples)
        XCTAssertEqual([turnedOnly.width, turnedOnly.height], [expected.width, expected.height])
        XCTAssertNotEqual(turnedOnly.samples, upright.samples)
    }
}
