import Equivariance
import NeuralNet
import TensorCore

/// Canonicalization on the gradient tape, for training a canonicalizer end to end with a
/// downstream predictor (Kaba et al. 2023, sec. 4.1; Mondal et al. 2023).
///
/// Forward: the scores pick one pose per image and the image is mapped by its inverse
/// (a one-hot mixture of the |G| inverse-turned images). Backward (straight-through estimator):
/// the one-hot weights are replaced by softmax(β · scores), so the canonical image's gradient
/// reaches the scorer through ∂L/∂s_k = β · p_k · (∂L/∂w_k − Σ_j p_j · ∂L/∂w_j), where
/// ∂L/∂w_k = ⟨∂L/∂canonical, T_{g_k}⁻¹ x⟩.
public enum CanonicalizedTraining {
    /// Canonical images (N, C, H, W) on the tape, the scores (N, |G|) and the poses of a
    /// batch of square images (N, C, H, H).
    ///
    /// The input images are data (no gradient); the gradient flows into the scorer.
    public static func canonicalize(_ images: Tensor, with canonicalizer: DiscreteCanonicalizer,
                                    beta: Float = 1)
        -> (canonical: Variable, scores: Variable, poses: [PoseEstimate]) {
        precondition(images.rank == 4 && images.shape[2] == images.shape[3],
                     "straight-through canonicalization needs square images (N, C, H, H) so "
                     + "that every pose keeps the shape, got \(images.shape)")
        let group = canonicalizer.group
        let order = group.order
        let batch = images.shape[0]
        let sampleSize = images.count / batch
        let scores = canonicalizer(Variable(canonicalizer.scorerInput(images)))  // (N, G)
        let poses = (0..<batch).map { n in
            PoseEstimate(group: group,
                         scores: Array(scores.value.storage[(n * order)..<((n + 1) * order)]))
        }
        // T_{g_k}⁻¹ x for every image and pose: (G, N, C, H, W).
        let inverseTurned = group.elements.map { element in
            PoseActions.transformPlanes(images, by: group.inverse(element), of: group)
        }
        var canonical = [Float](repeating: 0, count: images.count)  // (N, C, H, W)
        for n in 0..<batch {
            let chosen = inverseTurned[poses[n].index].storage
            let start = n * sampleSize
            canonical.replaceSubrange(start..<(start + sampleSize),
                                      with: chosen[start..<(start + sampleSize)])
        }
        let output = Variable.record(Tensor(shape: images.shape, storage: canonical),
                                     parents: [scores]) { gradient in
            var scoreGradient = [Float](repeating: 0, count: batch * order)  // (N, G)
            for n in 0..<batch {
                let start = n * sampleSize
                // ∂L/∂w_k = ⟨∂L/∂canonical_n, T_{g_k}⁻¹ x_n⟩.
                var weightGradient = [Float](repeating: 0, count: order)
                for k in 0..<order {
                    var dot: Float = 0
                    for i in start..<(start + sampleSize) {
                        dot += gradient.storage[i] * inverseTurned[k].storage[i]
                    }
                    weightGradient[k] = dot
                }
                let row = Array(scores.value.storage[(n * order)..<((n + 1) * order)])
                let probabilities = Softmax.forward(
                    logits: Tensor(shape: [1, order], storage: row.map { $0 * beta }), axis: 1)
                    .storage
                let mean = zip(probabilities, weightGradient).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                for k in 0..<order {
                    scoreGradient[n * order + k] =
                        beta * probabilities[k] * (weightGradient[k] - mean)
                }
            }
            return [Tensor(shape: [batch, order], storage: scoreGradient)]
        }
        return (output, scores, poses)
    }
}

/// The losses of one end-to-end step.
public struct CanonicalizedTrainingStep: Equatable, Sendable {
    /// The downstream task loss.
    public let taskLoss: Float
    /// The prior-regularisation loss (cross-entropy of the scores against the identity).
    public let priorLoss: Float
    /// taskLoss + priorWeight · priorLoss, the loss that was minimised.
    public let totalLoss: Float
}

/// Trains a canonicalizer together with a downstream predictor: task loss on the canonical
/// images through the straight-through estimator, plus `priorWeight` × the prior loss.
///
/// ```swift
/// let trainer = CanonicalizedTrainer(canonicalizer: canonicalizer,
///                                    optimizer: Adam(namedParameters: both, learningRate: 1e-3))
/// let step = trainer.step(images: batch) { canonical in
///     ScoreLosses.crossEntropy(scores: predictor(canonical), targets: labels)
/// }
/// ```
public final class CanonicalizedTrainer {
    /// The canonicalizer being trained.
    public let canonicalizer: DiscreteCanonicalizer
    /// Updates the parameters of the canonicalizer and of the predictor.
    public let optimizer: Optimizer
    /// Weight of the prior loss; Mondal et al. use 100 (default) to keep upright data upright.
    public var priorWeight: Float
    /// Inverse temperature β of the softmax in the straight-through backward pass.
    public var beta: Float

    /// A trainer; the canonicalizer is switched to training mode.
    public init(canonicalizer: DiscreteCanonicalizer, optimizer: Optimizer,
                priorWeight: Float = 100, beta: Float = 1) {
        precondition(priorWeight >= 0 && beta > 0,
                     "priorWeight \(priorWeight) must be ≥ 0 and beta \(beta) > 0")
        self.canonicalizer = canonicalizer
        self.optimizer = optimizer
        self.priorWeight = priorWeight
        self.beta = beta
        canonicalizer.train()
    }

    /// One optimiser step: `taskLoss` receives the canonical images (on the tape) and returns
    /// the scalar downstream loss.
    @discardableResult
    public func step(images: Tensor, taskLoss: (Variable) -> Variable)
        -> CanonicalizedTrainingStep {
        optimizer.zeroGradients()
        let (canonical, scores, _) = CanonicalizedTraining.canonicalize(images, with: canonicalizer,
                                                                        beta: beta)
        let task = taskLoss(canonical)
        let prior = ScoreLosses.prior(scores: scores)
        let total = ScoreLosses.weightedSum([(1, task), (priorWeight, prior)])
        total.backward()
        optimizer.step()
        return CanonicalizedTrainingStep(taskLoss: task.value.storage[0],
                                         priorLoss: prior.value.storage[0],
                                         totalLoss: total.value.storage[0])
    }
}
