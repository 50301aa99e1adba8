import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import Training
import XCTest
import _TestSupport

/// The E(2) property of the sample continuous orientation package on held-out real scans: a
/// scan turned by θ (bilinear, inside the inscribed disc, so no corner is cut) gets an angle
/// larger by θ than the scan itself. The keypoints are resampled, so this is approximate; the
/// median error over 2 scans × 24 turns must stay within 2°.
final class EGNNSampleModelTests: XCTestCase {
    private let samples = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("samples/models")

    func testTurnedHeldOutScansShiftTheAngleByTheTurn() throws {
        let package = try EGNNPackage.load(samples.appendingPathComponent("orientation-egnn")
            .path)
        // Neither scan is in the package's training data.
        let names = ["itk_BrainProtonDensitySlice.png", "dipy_t1_coronal_256.png"]
        let trained = package.metadata.trainingData.train.map { ($0 as NSString).lastPathComponent }
        XCTAssertTrue(Set(names).isDisjoint(with: trained))
        let files = names.map { Fixtures.root.appendingPathComponent("orientation/\($0)").path }
        let size = 64
        let planes = try EGNNTraining.workingPlanes(files, size: size)
        let errors = try EGNNTraining.angularErrors(of: package.canonicalizer,
                                                    keypoints: package.metadata.keypoints,
                                                    planes: planes, size: size, turns: 24,
                                                    seed: 7)
        let median = errors.summary["medianConsistencyError"] ?? .infinity
        print(String(format: "E(2) error on 2 held-out scans × 24 turns: median %.2f°, p95 %.2f°",
                     median, errors.summary["p95ConsistencyError"] ?? .nan))
        XCTAssertEqual(errors.consistency.count, 48)
        XCTAssertLessThanOrEqual(median, 2, "median E(2) error \(median)° (p95 "
                                 + "\(errors.summary["p95ConsistencyError"] ?? .nan)°)")
    }
}
