import Canonicalization
import Equivariance
import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// invert(canonicalize(·)) is the identity, for images, label maps and regular feature maps,
/// for every pose of C4 and D4; mirrored poses are checked against numpy-style references
/// written out in the test.
final class InvertTests: XCTestCase {
    /// For every forced pose g: canonical = g⁻¹·x, and inverting images, probability maps and
    /// label maps gives x back exactly.
    func testRoundTripForImagesAndLabelMapsForEveryPose() throws {
        var generator = SeededGenerator(seed: 21)
        for group in [Group.c4, .d4] {
            let canonicalizer = try smallCanonicalizer(group: group)
            let image = Tensor.gaussian(shape: [1, 2, 6, 9], generator: &generator)
            let labels = Tensor(shape: [1, 6, 9]) { Float(($0 * 7) % 5) }
            for g in group.elements {
                let pose = forcedPose(g, of: group)
                let canonicalImage = canonicalizer.invert(image, kind: .planes,
                                                          poses: [forcedPose(group.inverse(g),
                                                                             of: group)])
                XCTAssertEqual(canonicalizer.invert(canonicalImage, kind: .planes, poses: [pose]),
                               image, "\(group) image round trip at \(g)")
                let canonicalLabels = PoseActions.transformPlanes(labels, by: group.inverse(g),
                                                                  of: group,
                                                                  interpolation: .nearest)
                XCTAssertEqual(canonicalizer.invert(canonicalLabels, kind: .labelPlanes,
                                                    poses: [pose]), labels,
                               "\(group) label-plane round trip at \(g)")
                let intLabels = labels.storage.map { Int32($0) }
                let turned = PoseActions.transformLabels(intLabels, height: 6, width: 9,
                                                         by: group.inverse(g), of: group)
                let back = canonicalizer.invert(labels: turned.labels, height: turned.height,
                                                width: turned.width, pose: pose)
                XCTAssertEqual(back.labels, intLabels, "\(group) label map round trip at \(g)")
                XCTAssertEqual([back.height, back.width], [6, 9])
                let probabilities = Tensor(shape: [1, 3])  { Float($0) }
                XCTAssertEqual(canonicalizer.invert(probabilities, kind: .invariant,
                                                    poses: [pose]), probabilities)
            }
        }
    }

    /// Mirrored poses, against independent numpy formulas: the pose R^r F maps a canonical
    /// image c to rot90(fliplr(c), r), so the canonical image of a scan x is
    /// fliplr(rot90(x, −r)), and R^r F is its own inverse.
    func testMirroredPosesAgainstNumpyReference() throws {
        var generator = SeededGenerator(seed: 4)
        let canonicalizer = try smallCanonicalizer(group: .d4)
        let x = Tensor.gaussian(shape: [1, 1, 5, 8], generator: &generator)
        for r in 0..<4 {
            let element = GroupElement(mirrored: true, rotation: r)
            XCTAssertEqual(Group.d4.inverse(element), element, "R^\(r) F is an involution")
            let canonical = canonicalizer.invert(x, kind: .planes,
                                                 poses: [forcedPose(element, of: .d4)])
            // Undoing R^r F on x: x = rot90(fliplr(c), r) ⇒ c = fliplr(rot90(x, −r)).
            XCTAssertEqual(canonical, numpyFlipW(numpyRot90(x, times: -r)), "R^\(r) F")
            XCTAssertEqual(PoseActions.transformPlanes(canonical, by: element, of: .d4),
                           numpyRot90(numpyFlipW(canonical), times: r))
            XCTAssertEqual(PoseActions.transformPlanes(canonical, by: element, of: .d4), x)
        }
        // And a plain rotation's inverse is the opposite rotation, not itself.
        let quarter = GroupElement(rotation: 1)
        XCTAssertEqual(Group.d4.inverse(quarter), GroupElement(rotation: 3))
        XCTAssertEqual(PoseActions.transformPlanes(x, by: quarter, of: .d4),
                       numpyRot90(x, times: 1))
    }

    /// The full loop with an equivariant downstream map: a lifting convolution f computed on
    /// the canonical image and inverted equals f on the scan itself (for square input), so
    /// regular feature maps come back with their group axis permuted correctly; likewise the
    /// group-pooled (invariant-channel) map as `.planes`, for every pose of C4 and D4.
    func testFeatureMapsComeBackThroughInvert() throws {
        var generator = SeededGenerator(seed: 8)
        for group in [Group.c4, .d4] {
            let canonicalizer = try smallCanonicalizer(group: group)
            let lifting = LiftingConvolution(group: group, inputChannels: 1, outputFields: 3,
                                             kernelSize: 3, padding: 1, generator: &generator)
            lifting.eval()
            let f = { (x: Tensor) in
                GradientTape.withoutRecording { lifting(Variable(x)).value }
            }
            let base = orientedImage(height: 20, width: 20, generator: &generator)
            var worst: Float = 0
            for g in group.elements {
                let x = group.transformPlanes(base, by: g)
                let result = canonicalizer.canonicalize(x)
                let features = f(result.canonical)  // (1, 3, G, H, W)
                let back = canonicalizer.invert(features, kind: .regularFeatureMap,
                                                poses: result.poses)
                let direct = f(x)
                XCTAssertEqual(back.shape, direct.shape)
                worst = max(worst, zip(back.storage, direct.storage).map { abs($0 - $1) }.max()
                            ?? 0)
                // Mean over the group axis: an image-like map, inverted as planes.
                let pooledBack = canonicalizer.invert(features.mean(alongAxis: 2), kind: .planes,
                                                      poses: result.poses)
                assertClose(pooledBack, direct.mean(alongAxis: 2), tolerance: 1e-5)
            }
            print("feature-map round trip \(group): worst error \(worst)")
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(group)")
        }
    }

    /// The regular action permutes the group axis by h ↦ g·h: for a map that is constant in
    /// space with value h on pose h, the result holds g⁻¹·k at pose k.
    func testRegularActionPermutesGroupAxis() {
        let group = Group.d4
        let map = Tensor(shape: [1, 1, 8, 2, 2]) { Float($0 / 4) }
        for g in group.elements {
            let moved = PoseActions.transformRegular(map, by: g, of: group)
            for k in 0..<8 {
                let expected = Float(group.composeIndex(group.inverseIndex(group.index(of: g)), k))
                XCTAssertEqual(moved.storage[k * 4], expected, "g = \(g), pose \(k)")
            }
        }
    }

    /// A batch of square images gets one pose per image; inverting the batch undoes each.
    func testBatchRoundTrip() throws {
        var generator = SeededGenerator(seed: 12)
        let canonicalizer = try smallCanonicalizer(group: .d4)
        let images = Tensor.concatenate((0..<4).map { _ in
            orientedImage(height: 24, width: 24, generator: &generator)
        }, axis: 0)
        let result = canonicalizer.canonicalize(images)
        XCTAssertEqual(result.poses.count, 4)
        XCTAssertEqual(canonicalizer.invert(result.canonical, kind: .planes, poses: result.poses),
                       images)
    }
}
