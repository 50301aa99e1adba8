import Canonicalization
import Equivariance
import TensorCore
import XCTest
import _TestSupport

/// The defining property of the canonicalizer on the pixel grid: the canonical image of g·x is
/// the canonical image of x, sample for sample, and the pose of g·x is g ∘ pose(x).
final class CanonicalizerInvarianceTests: XCTestCase {
    /// Scores of g·x are the scores of x permuted by g: s(g·x)[g·h] = s(x)[h].
    func testScoresArePermutedByTheGroup() throws {
        for group in [Group.c4, .d4] {
            let canonicalizer = try smallCanonicalizer(group: group)
            var generator = SeededGenerator(seed: 11)
            let x = orientedImage(height: 32, width: 32, generator: &generator)
            let scores = canonicalizer.scores(x).storage
            let worst = worstPermutationError(of: canonicalizer, on: x, group: group)
            let scale = scores.map(abs).max() ?? 1
            print("score permutation \(group): worst |s(g·x)[g·h] − s(x)[h]| = \(worst) "
                  + "(score scale \(scale))")
            XCTAssertLessThanOrEqual(worst, 1e-5 * max(scale, 1), "\(group)")
        }
    }

    /// canonicalize(g·x) == canonicalize(x) exactly and pose(g·x) == g ∘ pose(x), for random
    /// images and every g of C4 and D4; square and non-square images, with and without a crop.
    func testCanonicalImageIsInvariantAndPosesCompose() throws {
        let cases: [(Group, Int, Int, Double)] = [
            (.c4, 40, 40, 1), (.d4, 40, 40, 1), (.d4, 36, 44, 1), (.c4, 50, 38, 0.8),
            (.d4, 64, 64, 0.75),
        ]
        var checked = 0
        var generator = SeededGenerator(seed: 5)
        for (group, height, width, crop) in cases {
            let canonicalizer = try smallCanonicalizer(group: group, cropRatio: crop)
            for _ in 0..<3 {
                let x = orientedImage(height: height, width: width, generator: &generator)
                let reference = canonicalizer.canonicalize(x)
                let pose = reference.poses[0]
                // A near tie would make the arg-max depend on float rounding; these inputs
                // have a clear winner (checked, not assumed).
                XCTAssertGreaterThan(margin(pose), 1e-4, "input with a near tie: \(pose.scores)")
                for g in group.elements {
                    let turned = group.transformPlanes(x, by: g)
                    let result = canonicalizer.canonicalize(turned)
                    XCTAssertEqual(result.poses[0].element, group.compose(g, pose.element),
                                   "\(group) \(height)×\(width) g = \(g)")
                    XCTAssertEqual(result.canonical.shape, reference.canonical.shape)
                    XCTAssertEqual(result.canonical.storage, reference.canonical.storage,
                                   "canonical image of g·x differs from that of x, g = \(g)")
                    checked += 1
                }
            }
        }
        print("canonical invariance: \(checked) (image, g) pairs equal sample for sample")
    }

    /// The scan equals its pose applied to its canonical form: x == pose · canonical(x).
    func testScanEqualsPoseAppliedToCanonicalForm() throws {
        var generator = SeededGenerator(seed: 9)
        let canonicalizer = try smallCanonicalizer(group: .d4)
        for _ in 0..<4 {
            let x = orientedImage(height: 30, width: 42, generator: &generator)
            let result = canonicalizer.canonicalize(x)
            let back = PoseActions.transformPlanes(result.canonical, by: result.poses[0].element,
                                                   of: .d4)
            XCTAssertEqual(back, x)
        }
    }

    /// Ties go to the lowest index: a constant image scores every pose alike, so its pose is
    /// the identity with confidence 0.
    func testTieBreakIsDeterministic() throws {
        let canonicalizer = try smallCanonicalizer(group: .d4, normalization: .none)
        let flat = Tensor(zeros: [1, 1, 32, 32], value: 0.5)
        let pose = canonicalizer.estimatePoses(flat)[0]
        let spread = (pose.scores.max() ?? 0) - (pose.scores.min() ?? 0)
        print("constant image: score spread from rounding \(spread)")
        XCTAssertLessThan(spread, 1e-6, "a constant image must tie: \(pose.scores)")
        XCTAssertEqual(pose.element, Group.d4.identity)
        XCTAssertLessThan(pose.confidence, 1e-6)
        XCTAssertEqual(PoseEstimate(group: .c4, scores: [0.5, 2, 2, 1]).index, 1)
        XCTAssertEqual(PoseEstimate(group: .c4, scores: [0.5, 2, 2.000001, 1]).index, 1)
        XCTAssertEqual(PoseEstimate(group: .c4, scores: [0.5, 2, 2.001, 1]).index, 2)
    }

    /// With mirrors the rotation is decided by its added probability, then the mirror: here
    /// the single best pose is R^0 (0.30), but the quarter turn R^1 holds 0.50 with its mirror
    /// image against 0.32 for R^0, so the pose is R^1 (its mirror tied: the plain one).
    func testMirroredGroupsDecideTheRotationByItsAddedProbability() {
        let probabilities = [0.30, 0.25, 0.05, 0.05, 0.02, 0.25, 0.04, 0.04]  // N·m + r
        let pose = PoseEstimate(group: .d4, scores: probabilities.map { Float(log($0)) })
        XCTAssertEqual(pose.element, GroupElement(mirrored: false, rotation: 1))
        XCTAssertEqual(Double(pose.rotationConfidence), 0.50 - 0.32, accuracy: 1e-6)
        XCTAssertEqual(pose.mirrorConfidence, 0, accuracy: 1e-6)
        XCTAssertEqual(PoseEstimate.tiedBest(group: .d4, scores: probabilities.map {
            Float(log($0))
        }), [1, 5])
        // Without mirrors nothing is added: the arg-max.
        XCTAssertEqual(PoseEstimate(group: .c4, scores: [3, 2.9, 0, 0]).index, 0)
    }

    /// The decision rule against a naive loop on seeded random scores (D4 and D8), and
    /// equivariant for every group element: scores moved by g (s'[g·h] = s[h]) give g·pose.
    func testMirroredDecisionAgainstANaiveLoopAndUnderEveryElement() {
        var generator = SeededGenerator(seed: 15)
        for group in [Group.d4, Group.d8] {
            let n = group.rotationCount
            for _ in 0..<200 {
                let scores = (0..<group.order).map { _ in Float(generator.nextDouble() * 6 - 3) }
                var bestRotation = 0, bestMass = -1.0
                for r in 0..<n {
                    let mass = exp(Double(scores[r])) + exp(Double(scores[n + r]))
                    if mass > bestMass { (bestRotation, bestMass) = (r, mass) }
                }
                let mirrored = scores[n + bestRotation] > scores[bestRotation]
                let pose = PoseEstimate(group: group, scores: scores)
                XCTAssertEqual(pose.element, GroupElement(mirrored: mirrored,
                                                          rotation: bestRotation), "\(scores)")
                for g in group.elements {
                    var moved = scores
                    for h in 0..<group.order {
                        moved[group.index(of: group.compose(g, group.element(at: h)))] = scores[h]
                    }
                    XCTAssertEqual(PoseEstimate(group: group, scores: moved).element,
                                   group.compose(g, pose.element), "g \(g), \(scores)")
                }
            }
        }
    }

    /// Confidence is the softmax margin between the best and second-best pose.
    func testConfidenceIsSoftmaxMargin() {
        let scores: [Float] = [1, 3, 0.5, 2.5]
        let pose = PoseEstimate(group: .c4, scores: scores)
        let exps = scores.map { exp(Double($0)) }
        let total = exps.reduce(0, +)
        let expected = (exps[1] - exps[3]) / total
        XCTAssertEqual(Double(pose.confidence), expected, accuracy: 1e-6)
        XCTAssertEqual(pose.element, GroupElement(rotation: 1))
        XCTAssertEqual(pose.quarterTurns, 1)
        XCTAssertEqual(PoseEstimate(group: .c8, scores: [0, 0, 0, 9, 0, 0, 0, 0]).degrees, 135)
    }

    /// Scorer preprocessing: the centre crop is symmetric, the resize weights are mirror
    /// images, and crop + resize commute with every element of D4 on a non-square image.
    func testPreprocessingCommutesWithD4() {
        let preprocessing = ScorerPreprocessing(cropRatio: 0.7, size: 24, normalization: .none)
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.gaussian(shape: [2, 1, 57, 43], generator: &generator)
        let reference = preprocessing.apply(x)
        XCTAssertEqual(reference.shape, [2, 1, 24, 24])
        var worst: Float = 0
        for g in Group.d4.elements {
            let a = preprocessing.apply(Group.d4.transformPlanes(x, by: g))
            let b = Group.d4.transformPlanes(reference, by: g)
            worst = max(worst, zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0)
        }
        print("preprocessing commutes with D4: worst error \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-5)
        // Resizing to the same size is the identity.
        let same = ScorerPreprocessing(cropRatio: 1, size: 43, normalization: .none)
        let square = x.slice(axis: 2, range: 0..<43)
        XCTAssertEqual(same.apply(square), square)
    }

    /// Percentile normalisation maps an image's samples to [0, 1] by its own percentiles.
    func testPercentileNormalization() {
        let preprocessing = ScorerPreprocessing(normalization: .percentile(lower: 0, upper: 100))
        XCTAssertEqual(preprocessing.normalize([2, 4, 6]), [0, 0.5, 1])
        let robust = ScorerPreprocessing(normalization: .percentile(lower: 25, upper: 75))
        // Percentiles of 0, 1, 2, 3, 100: 25 % → 1, 75 % → 3.
        XCTAssertEqual(robust.normalize([0, 1, 2, 3, 100]), [0, 0, 0.5, 1, 1])
    }
}
