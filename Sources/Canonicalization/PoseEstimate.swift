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

    /// Scores within this fraction of max(1, the largest |score|) of the best count as tied:
    /// float rounding in the convolutions perturbs the scores of a symmetric image by about
    /// 1e-7 of their scale, and must not decide its pose.
    public static let tieTolerance: Float = 1e-5

    /// The estimate of the best of `scores`: the arg-max, and among scores tied with it (within
    /// `tieTolerance`) the lowest index, so the choice is deterministic. A tie only arises for
    /// an image with a symmetry that maps the tied poses onto each other, and then every tied
    /// pose gives the same canonical image.
    public init(group: Group, scores: [Float]) {
        precondition(scores.count == group.order,
                     "\(scores.count) scores for the \(group.order) elements of \(group)")
        var top = scores[0]
        for score in scores where score > top { top = score }
        let scale = max(1, scores.map(abs).max() ?? 0)
        let best = scores.firstIndex { $0 >= top - Self.tieTolerance * scale } ?? 0
        let exps = scores.map { exp(Double($0 - top)) }
        let total = exps.reduce(0, +)
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

    /// The rotation in quarter turns counter-clockwise (a multiple of 0.5 for C8/D8 poses).
    public var quarterTurns: Double {
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
