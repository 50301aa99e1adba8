import Canonicalization
import Equivariance
import NeuralNet
import TensorCore
import XCTest

/// C8 and D8 rotate by interpolation, so canonicalization is only approximately invariant;
/// the error is measured on real scans and bounded.
final class ApproximateGroupTests: XCTestCase {
    /// The centre square of a (1, 1, H, W) image.
    private func centreSquare(_ image: Tensor) -> Tensor {
        let h = image.shape[2], w = image.shape[3], side = min(h, w)
        let top = (h - side) / 2, left = (w - side) / 2
        return image.slice(axis: 2, range: top..<(top + side))
            .slice(axis: 3, range: left..<(left + side))
    }

    /// Mean |a − b| over the disc of radius 0.4·side about the centre (the part of a square
    /// scan that stays inside the frame under every rotation).
    private func discError(_ a: Tensor, _ b: Tensor) -> Double {
        let side = a.shape[3]
        let centre = Double(side - 1) / 2, radius = 0.4 * Double(side)
        var total = 0.0, count = 0
        for i in 0..<side {
            for j in 0..<side {
                let di = Double(i) - centre, dj = Double(j) - centre
                guard di * di + dj * dj <= radius * radius else { continue }
                total += Double(abs(a.storage[i * side + j] - b.storage[i * side + j]))
                count += 1
            }
        }
        return total / Double(count)
    }

    /// 45° rotations keep the extent and fill corners from the edge, never with zeros; eight
    /// of them come back close to the start inside the disc; quarter turns stay exact.
    func testEdgePaddedRotation() {
        var generator = SeededGenerator(seed: 6)
        let image = Tensor.uniform(shape: [1, 1, 21, 21], low: 0.5, high: 1,
                                   generator: &generator)
        let turned = PoseActions.transformPlanes(image, by: GroupElement(rotation: 1), of: .c8)
        XCTAssertEqual(turned.shape, image.shape)
        XCTAssertGreaterThanOrEqual(turned.storage.min() ?? 0, 0.5, "corners leaked zeros")
        XCTAssertEqual(PoseActions.transformPlanes(image, by: GroupElement(rotation: 2), of: .c8),
                       Group.c4.transformPlanes(image, by: GroupElement(rotation: 1)))
        // D8: R^3 F = R · (R^2 F): mirror, a quarter turn, then 45°.
        let mirrored = PoseActions.transformPlanes(image, by: GroupElement(mirrored: true,
                                                                           rotation: 3), of: .d8)
        let byHand = PoseActions.rotateEdgePadded(
            Group.d4.transformPlanes(image, by: GroupElement(mirrored: true, rotation: 1)),
            angle: Double.pi / 4, interpolation: .bilinear)
        XCTAssertEqual(mirrored, byHand)
    }

    /// On real scans (the centre squares of the medical fixtures and one MNI slice), for
    /// every g of C8 other than the identity: the invariance error of the canonical image,
    /// mean |canonicalize(g·x) − canonicalize(x)| inside the disc, with a C8 canonicalizer
    /// briefly trained for orientation (random weights give scores too close together to
    /// survive the interpolation error of 45° turns). Bounded, and the pose consistency
    /// pose(g·x) = g ∘ pose(x) is reported beside it.
    func testC8InvarianceErrorOnRealScans() throws {
        let scans = try OrientationFixtures.load()
            .filter { !$0.name.hasPrefix("mni152_") || $0.name == "mni152_z079.png" }
            .map { centreSquare($0.image) }
            .filter { $0.shape[2] >= 48 }
        let configuration = CanonicalizerConfiguration(
            group: .c8,
            preprocessing: ScorerPreprocessing(size: 32, normalization: .minMax),
            network: ScoringNetworkConfiguration(fields: [6, 8, 4], poolingSteps: 2, seed: 1))
        let canonicalizer = try DiscreteCanonicalizer(configuration: configuration)
        let trainer = OrientationTrainer(canonicalizer: canonicalizer,
                                         optimizer: Adam(module: canonicalizer,
                                                         learningRate: 5e-3))
        var generator = SeededGenerator(seed: 88)
        for _ in 0..<80 {
            let batch = (0..<12).map { _ in scans[generator.nextInt(below: scans.count)] }
            trainer.step(upright: batch, generator: &generator)
        }
        canonicalizer.eval()

        var errors: [Double] = [], consistentErrors: [Double] = []
        var consistent = 0
        for x in scans {
            let reference = canonicalizer.canonicalize(x)
            for g in Group.c8.elements where g.rotation != 0 {
                let result = canonicalizer.canonicalize(PoseActions.transformPlanes(x, by: g,
                                                                                    of: .c8))
                let error = discError(result.canonical, reference.canonical)
                errors.append(error)
                if result.poses[0].element == Group.c8.compose(g, reference.poses[0].element) {
                    consistent += 1
                    consistentErrors.append(error)
                }
            }
        }
        let mean = errors.reduce(0, +) / Double(errors.count)
        let odd = consistentErrors.sorted()
        print("C8 on \(scans.count) real scans × 7 rotations: invariance error (mean |Δ| in the "
              + "disc, samples in [0, 1]) mean \(mean), worst \(errors.max() ?? 0); pose "
              + "consistent \(consistent)/\(errors.count); error where consistent: median "
              + "\(odd.isEmpty ? 0 : odd[odd.count / 2]), worst \(odd.last ?? 0)")
        XCTAssertGreaterThanOrEqual(Double(consistent) / Double(errors.count), 0.8)
        // Measured: mean 0.012, worst 0.047 (interpolation blur of a 45° turn and back).
        XCTAssertLessThanOrEqual(odd.last ?? 1, 0.08)
        XCTAssertLessThanOrEqual(mean, 0.03)
    }
}
