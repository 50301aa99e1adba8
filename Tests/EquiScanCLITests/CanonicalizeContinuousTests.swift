import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import XCTest
import _TestSupport

/// `equiscan canonicalize` with a continuous (EGNN) package, through the built binary: the
/// pose carries `angleDegrees`, a quarter-turned scan gets an angle larger by 90° (a square
/// scan whose keypoint cells map onto each other, so exactly), and `rotation` is the nearest
/// quarter turn.
final class CanonicalizeContinuousTests: XCTestCase {
    func testAnglesOfAQuarterTurnedScan() throws {
        let folder = temporaryFolder(prefix: "canonicalize-egnn")
        let model = try EGNNCanonicalizer(configuration: EGNNConfiguration(
            featureChannels: 1, hiddenFeatures: 8, messageFeatures: 8, vectorChannels: 2,
            layers: 2, graph: .nearest(k: 4), seed: 2))
        model.eval()
        let metadata = EGNNPackageMetadata(
            name: "t", version: "1", description: "t", group: .so2,
            keypoints: KeypointSpec(grid: 16, normalization: .minMax),
            trainingData: .init(train: [], validation: [], validationFraction: nil,
                                trainCases: 0, validationCases: 0, trainCasesPerClass: nil),
            training: .init(seed: 0, steps: 0, batchSize: 1, learningRate: 0, mode: "alone",
                            model: model.configuration),
            validationMetrics: [:], weights: .init(file: "", sha256: ""))
        let packageFolder = "\(folder)/egnn"
        _ = try EGNNPackage.write(model, metadata: metadata, to: packageFolder)
        let scan = try ImageDecoder.decode(path: Fixtures.path("medical/ct_small_128.png"))
        let upright = "\(folder)/upright.png", turned = "\(folder)/turned.png"
        try ImageEncoder.write(scan, to: upright, format: .png)
        try ImageEncoder.write(scan.rotated90(times: 1), to: turned, format: .png)
        let result = try CLIRunner.run(["canonicalize", "-m", packageFolder, upright, turned,
                                        "--json", "-o", "\(folder)/out"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let array = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
            as? [[String: Any]])
        let poses = try array.map { try XCTUnwrap($0["pose"] as? [String: Any], "\($0)") }
        let angles = try poses.map { try XCTUnwrap($0["angleDegrees"] as? Double) }
        let difference = OrientationFrame.angleDifference((angles[1] - angles[0]) * .pi / 180,
                                                          .pi / 2) * 180 / .pi
        XCTAssertEqual(difference, 0, accuracy: 1e-3)
        for (pose, angle) in zip(poses, angles) {
            let nearest = ((Int((angle / 90).rounded()) % 4) + 4) % 4
            XCTAssertEqual(pose["rotation"] as? Double, Double(nearest))
            XCTAssertEqual(pose["group"] as? String, "SO2")
        }
        let written = try ImageDecoder.decode(path: "\(folder)/out/turned.png")
        XCTAssertEqual([written.width, written.height], [scan.height, scan.width])
    }
}
