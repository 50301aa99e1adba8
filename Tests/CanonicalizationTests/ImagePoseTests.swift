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
        // y ↦ −y then 10° equals x ↦ −x then 190° = −170°: nearest quarter turn −2 ≡ 2.
        let mirrored = ImagePose(frame: OrientationFrame(centreX: 0, centreY: 0,
                                                         angle: 10 * .pi / 180, mirrored: true))
        XCTAssertEqual(mirrored.angleDegrees, -170, accuracy: 1e-9)
        XCTAssertEqual(mirrored.quarterTurns, 2)
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
        // Points of a plane with bright pixels at (row 0, col 1) and (row 1, col 3): the pose
        // read from a frame must map the canonical points onto these pixels the way
        // `canonical` maps the plane, i.e. pose.toScan moves canonical positions onto the scan.
        let frame = OrientationFrame(centreX: 1.5, centreY: -1.5, angle: 0.3, mirrored: true)
        let pose = ImagePose(frame: frame)
        // A canonical point p' lies at frame.point(fromCanonical:) in the scan; the same point
        // by the pose: mirror x ↦ −x about the centre, then turn by the angle.
        let canonical = (x: 0.7, y: -0.4)
        let byFrame = frame.point(fromCanonical: canonical.x, canonical.y)
        let theta = pose.angleDegrees * .pi / 180
        let mx = -canonical.x, my = canonical.y
        let byPose = (x: 1.5 + cos(theta) * mx - sin(theta) * my,
                      y: -1.5 + sin(theta) * mx + cos(theta) * my)
        XCTAssertEqual(byFrame.x, byPose.x, accuracy: 1e-12)
        XCTAssertEqual(byFrame.y, byPose.y, accuracy: 1e-12)
    }
}
