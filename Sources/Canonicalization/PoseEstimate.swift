import Equivariance
import Foundation

/// The pose found for one image: the scan equals the pose applied to its canonical form.
public struct PoseEstimate: Equatable, Sendable {
    /// The group the pose belongs to.
    public let group: Group
    /// The pose g = R^r F^m (mirror first, then r rotations by 360°/N counter-clockwise).
    public let element: GroupElement
    /// Storage index of `element` in `group` (N·m + r).
    public let index: Int
    /// The raw scores, one per group element in storage order.
    public let scores: [Float]
    /// softmax(scores)[best] − softmax(scores)[second best], in [0, 1]: 0 for a tie, near 1
    /// for a clear decision.
    public let confidence: Float

    /// The margin of the rotation alone, in [0, 1]: the softmax probabilities of a rotation
    /// with and without the mirror are added, and this is the best such sum minus the second
    /// best. A scan of mirror-symmetric anatomy (an axial brain slice) splits its probability
    /// between a pose and its mirror image, which leaves `confidence` near 0 while the
    /// rotation is certain. Equal to `confidence` for groups without mirrors.
    public let rotationConfidence: Float
    /// The margin of the mirror bit given the rotation, in [0, 1]: |p(r, plain) − p(r,
    /// mirrored)| / (p(r, plain) + p(r, mirrored)) at the best pose's rotation r; 0 when the
    /// two are tied, 1 for groups without mirrors (nothing to decide).
    public let mirrorConfidence: Float

    /// Scores within this fraction of max(1, the largest |score|) of the best count as tied,
    /// and so do rotations whose log-probability is that close to the best: float rounding in the
    /// convolutions perturbs the scores of a symmetric image by about 1e-7 of their scale, and
    /// must not decide its pose.
    public static let tieTolerance: Float = 1e-5

    /// The estimate of `scores`. Without mirrors the pose is the arg-max. With mirrors
    /// (D4, D8) the rotation is decided first, by its own probability (the softmax
    /// probabilities of the rotation with and without the mirror added, the quantity
    /// `rotationConfidence` measures), and the mirror then given that rotation: for rotation
    /// accuracy that is the best decision the probabilities allow, and it differs from the
    /// plain arg-max when the mirror is uncertain (a scorer that never learnt it, or anatomy
    /// that is nearly its own mirror image). Ties within `tieTolerance` go to the lowest
    /// index (`tiedBest`), so the choice is deterministic. A tie only arises for an image with
    /// a symmetry that maps the tied poses onto each other, and then every tied pose gives the
    /// same canonical image.
    public init(group: Group, scores: [Float]) {
        precondition(scores.count == group.order,
                     "\(scores.count) scores for the \(group.order) elements of \(group)")
        let best = Self.tiedBest(group: group, scores: scores)[0]
        let (exps, total) = Self.exponentials(scores)
        let sorted = exps.sorted(by: >)
        let second = sorted.count > 1 ? sorted[1] : 0
        self.group = group
        self.index = best
        self.element = group.element(at: best)
        self.scores = scores
        self.confidence = Float((sorted[0] - second) / total)
        let n = group.rotationCount
        guard group.kind == .dihedral else {
            rotationConfidence = confidence
            mirrorConfidence = 1
            return
        }
        // Storage index N·m + r: plain rotations first, then the mirrored ones.
        let rotations = (0..<n).map { (exps[$0] + exps[n + $0]) / total }.sorted(by: >)
        rotationConfidence = Float(rotations[0] - (n > 1 ? rotations[1] : 0))
        let r = element.rotation
        let pair = exps[r] + exps[n + r]
        mirrorConfidence = Float(abs(exps[r] - exps[n + r]) / pair)
    }

    /// Storage indices of every pose the decision rule of `init` may pick from `scores`,
    /// lowest first (the first is the one picked): the poses tied with the best within
    /// `tieTolerance`. With mirrors, the rotations whose added probability is within that
    /// of the best in log-probability, each with the mirror choices tied at that rotation
    /// (scores within `tieTolerance` of max(1, the largest |score|), the slack of both tests).
    public static func tiedBest(group: Group, scores: [Float]) -> [Int] {
        precondition(scores.count == group.order,
                     "\(scores.count) scores for the \(group.order) elements of \(group)")
        let top = scores.max() ?? 0
        let slack = tieTolerance * max(1, scores.map(abs).max() ?? 0)
        guard group.kind == .dihedral else {
            return scores.indices.filter { scores[$0] >= top - slack }
        }
        let n = group.rotationCount
        let (exps, total) = Self.exponentials(scores)
        let pooled = (0..<n).map { (exps[$0] + exps[n + $0]) / total }
        let bestPooled = pooled.max() ?? 0
        var tied: [Int] = []
        // In log-probability, as the scores are compared: a pooled probability within a factor
        // e^−slack of the best.
        for r in 0..<n where pooled[r] >= bestPooled * exp(-Double(slack)) {
            let better = max(scores[r], scores[n + r])
            if scores[r] >= better - slack { tied.append(r) }
            if scores[n + r] >= better - slack { tied.append(n + r) }
        }
        return tied.sorted()
    }

    /// The softmax probability of every pose, in storage order; they add up to 1.
    public var probabilities: [Double] {
        let (exps, total) = Self.exponentials(scores)
        return exps.map { $0 / total }
    }

    /// exp(score − the largest score) of every pose, and their sum: the softmax before its
    /// division, shifted so that no exponential overflows.
    private static func exponentials(_ scores: [Float]) -> (exps: [Double], total: Double) {
        let top = Double(scores.max() ?? 0)
        let exps = scores.map { exp(Double($0) - top) }
        return (exps, exps.reduce(0, +))
    }

    /// The rotation in quarter turns counter-clockwise (a multiple of 0.5 for C8/D8 poses).
    public var quarterTurns: Double {
        Self.quarterTurns(of: element, in: group)
    }

    /// The rotation of `element` of `group` in quarter turns counter-clockwise.
    public static func quarterTurns(of element: GroupElement, in group: Group) -> Double {
        Double(element.rotation) * 4 / Double(group.rotationCount)
    }

    /// The rotation in degrees counter-clockwise.
    public var degrees: Double {
        Double(element.rotation) * 360 / Double(group.rotationCount)
    }

    /// Whether the pose mirrors (applied before the rotation).
    public var mirrored: Bool { element.mirrored }

    /// Whether the pose maps the pixel grid onto itself (a multiple of 90°).
    public var isOnPixelGrid: Bool { (4 * element.rotation) % group.rotationCount == 0 }
}
