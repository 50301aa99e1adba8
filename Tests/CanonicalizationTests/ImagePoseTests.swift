import Canonicalization
import Foundation
import TensorCore
import XCTest

/// Scan poses of continuous frames, against hand-worked cases.
final class ImagePoseTests: XCTestCase {
    func testPoseOfFrames() {
        let turned = ImagePose(frame: OrientationFrame(centreX: 0, centreY: 0,
                                                       angle: 100 * .pi / 180, mirrored: false))
        XCTAssertEqual(turned.angleDegrees, 100, accuracy: 1e-9)
        XCTAssertEqual(turned.quarterTurns, 1)
        XCTAssertFalse(turned.mirrored)
        let mirrored = ImagePose(frame: OrientationFrame(centreX: 0, centreY: 0,
                                                         angle: -170 * .pi / 180, mirrored: true))
        XCTAssertEqual(mirrored.angleDegrees, -170, accuracy: 1e-9)
        XCTAssertEqual(mirrored.quarterTurns, 2)  // −170 / 90 rounds to −2 ≡ 2
        XCTAssertTrue(mirrored.mirrored)
        XCTAssertEqual(ImagePose(angleDegrees: -44, mirrored: false).quarterTurns, 0)
        XCTAssertEqual(ImagePose(angleDegrees: 540, mirrored: false).angleDegrees, 180,
                       accuracy: 1e-9)
    }

    func testCanonicalFormOfAMirroredQuarterTurn() {
        // Scan = R_90 F_x canonical. Canonical [[1, 2], [3, 4]] mirrored is [[2, 1], [4, 3]],
        // turned counter-clockwise: [[1, 3], [2, 4]].
        let scan = Tensor(shape: [1, 2, 2], storage: [1, 3, 2, 4])
        let pose = ImagePose(angleDegrees: 90, mirrored: true)
        let canonical = pose.canonical(scan)
        XCTAssertEqual(canonical.storage.map { $0.rounded() }, [1, 2, 3, 4])
        XCTAssertEqual(canonical.storage.map { ($0 - $0.rounded()).magnitude }.max() ?? 1, 0,
                       accuracy: 1e-5)
        XCTAssertEqual(pose.toScan(canonical).storage.map { $0.rounded() }, scan.storage)
    }

    func testMirroredFramePoseAgreesWithThePoints() throws {
        // A canonical point lies at frame.point(fromCanonical:) in the scan's point coordinates
        // (x = column, y = −row); the pose must put it at the same pixel: mirror the canonical
        // plane left-right, then turn it counter-clockwise by the angle about the centre.
        let frame = OrientationFrame(centreX: 1.5, centreY: -1.5, angle: 0.3, mirrored: true)
        let pose = ImagePose(frame: frame)
        let canonical = (x: 0.7, y: -0.4)  // relative to the centre, x right, y up
        let byFrame = frame.point(fromCanonical: canonical.x, canonical.y)
        let theta = pose.angleDegrees * .pi / 180
        let mx = -canonical.x, my = canonical.y
        XCTAssertEqual(byFrame.x, 1.5 + cos(theta) * mx - sin(theta) * my, accuracy: 1e-12)
        XCTAssertEqual(byFrame.y, -1.5 + sin(theta) * mx + cos(theta) * my, accuracy: 1e-12)
        XCTAssertEqual(pose.frame.angle, 0.3, accuracy: 1e-12)
        XCTAssertTrue(pose.frame.mirrored)
    }
}
