import NeuralNet
import TensorCore

/// Trains an `EGNNCanonicalizer` end to end with a downstream task on the canonical points,
/// regularised by the prior of Mondal et al. 2023: the task loss reaches the frame vectors
/// through the differentiable Gram–Schmidt frame (`EGNNOperations.canonicalPositions`), and
/// `priorWeight` × the cosine loss of the frame against the identity keeps data that is already
/// upright in its pose.
///
/// ```swift
/// let trainer = EGNNCanonicalizedTrainer(canonicalizer: model,
///                                        optimizer: Adam(namedParameters: both,
///                                                        learningRate: 1e-3))
/// let step = try trainer.step(sets: batch) { canonical, input in
///     ScoreLosses.crossEntropy(scores: predictor(canonical, input), targets: labels)
/// }
/// ```
public final class EGNNCanonicalizedTrainer {
    /// The canonicalizer being trained.
    public let canonicalizer: EGNNCanonicalizer
    /// Updates the parameters of the canonicalizer and of the predictor.
    public let optimizer: Optimizer
    /// Weight of the prior loss (default 100, as for the discrete canonicalizer).
    public var priorWeight: Float

    /// A trainer; the canonicalizer is switched to training mode.
    public init(canonicalizer: EGNNCanonicalizer, optimizer: Optimizer, priorWeight: Float = 100) {
        precondition(priorWeight >= 0, "priorWeight \(priorWeight) must be ≥ 0")
        self.canonicalizer = canonicalizer
        self.optimizer = optimizer
        self.priorWeight = priorWeight
        canonicalizer.train()
    }

    /// One optimiser step: `taskLoss` receives the canonical positions (N, 2) on the tape (centred,
    /// unit root-mean-square radius per set) with the network input (features, set of every
    /// point) and returns the scalar downstream loss. Throws for a set without an orientation.
    @discardableResult
    public func step(sets: [PointSet], taskLoss: (Variable, EGNNInput) -> Variable) throws
        -> (taskLoss: Float, priorLoss: Float) {
        let input = try canonicalizer.input(for: sets)
        optimizer.zeroGradients()
        let vectors = canonicalizer.frameVectors(input)  // (B, 2C)
        let canonical = EGNNOperations.canonicalPositions(vectors, input: input)
        let task = taskLoss(canonical, input)
        let count = canonicalizer.configuration.group.frameVectorCount
        let identity = FrameLosses.targets(angle: 0, mirrored: false, vectorCount: count)
        let prior = FrameLosses.cosine(vectors, targets: Array(
            [[Float]](repeating: identity, count: sets.count).joined()))
        let total = ScoreLosses.weightedSum([(1, task), (priorWeight, prior)])
        total.backward()
        optimizer.step()
        return (task.value.storage[0], prior.value.storage[0])
    }
}
