import Canonicalization
import Equivariance
import NeuralNet
import TensorCore

/// A canonicalizer in front of a classifier or segmenter, trained end to end: the predictor
/// sees pose⁻¹ · x, and a segmenter's logits are moved back by the pose. A classifier's
/// prediction is then invariant under the canonicalizer's group (exactly for C4 and D4).
///
/// Weights: the traversal names are `canonicalizer.*` and `predictor.*` (checkpoints); a
/// package stores each network in its own file (`PackagedModel.save(weightsTo:metadata:)`).
public final class CanonicalizedPredictor: Module {
    /// The pose scorer.
    public let canonicalizer: DiscreteCanonicalizer
    /// The predictor's module (the network inside `base`).
    public let predictor: Module
    /// The predictor as a packaged model (not traversed: `predictor` is the same network).
    public let _base: PackagedModel
    /// Weight of the prior loss during training.
    public let priorWeight: Float
    /// Inverse temperature of the straight-through softmax during training.
    public let beta: Float

    /// Wraps a classifier or segmenter; a canonicalizer or wrapped model is a misuse.
    public init(canonicalizer: DiscreteCanonicalizer, base: PackagedModel, priorWeight: Float,
                beta: Float) {
        switch base {
        case .classifier, .segmenter: break
        case .canonicalizer, .canonicalized:
            preconditionFailure("a canonicalizer goes in front of a classifier or segmenter only")
        }
        self.canonicalizer = canonicalizer
        predictor = base.module
        _base = base
        self.priorWeight = priorWeight
        self.beta = beta
        super.init()
    }

    /// Whether outputs are per-pixel logits that must be moved back by the pose.
    public var isSegmenter: Bool {
        if case .segmenter = _base { return true }
        return false
    }

    /// Training forward on the tape for square images (N, C, H, H): straight-through
    /// canonicalization (`CanonicalizedTraining`), the predictor on the canonical images, the
    /// pose applied back to segmentation logits; plus the prior loss of the scores (scalar).
    public func trainingForward(_ images: Tensor) -> (output: Variable, prior: Variable) {
        let (canonical, scores, poses) = CanonicalizedTraining.canonicalize(
            images, with: canonicalizer, beta: beta)
        var output = predictor(canonical)
        if isSegmenter {
            output = Self.moveOnTape(output, by: poses.map(\.element), group: canonicalizer.group)
        }
        return (output, ScoreLosses.prior(scores: scores))
    }

    /// The canonicalized prediction on the tape (no prior loss).
    public override func forward(_ input: Variable) -> Variable {
        trainingForward(input.value).output
    }

    /// Inference: canonicalize, predict, and move segmentation logits back by the pose.
    public func predict(_ images: Tensor) -> Tensor {
        let canonicalized = canonicalizer.canonicalize(images)
        let output = _base.predict(canonicalized.canonical)
        return isSegmenter
            ? canonicalizer.invert(output, kind: .planes, poses: canonicalized.poses) : output
    }

    /// T_{g_n} on the planes of sample n (N, K, H, W), on the tape; the backward pass applies
    /// the inverse elements (every C4/D4 element permutes the pixel grid).
    static func moveOnTape(_ input: Variable, by elements: [GroupElement],
                           group: Group) -> Variable {
        let moved = move(input.value, by: elements, group: group)
        return Variable.record(moved, parents: [input]) { gradient in
            [move(gradient, by: elements.map { group.inverse($0) }, group: group)]
        }
    }

    static func move(_ tensor: Tensor, by elements: [GroupElement], group: Group) -> Tensor {
        precondition(tensor.shape[0] == elements.count,
                     "\(elements.count) poses for a batch of \(tensor.shape[0])")
        let parts = elements.enumerated().map { n, element in
            PoseActions.transformPlanes(tensor.slice(axis: 0, range: n..<(n + 1)), by: element,
                                        of: group)
        }
        return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0)
    }
}
