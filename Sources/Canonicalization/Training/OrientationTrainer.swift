import Equivariance
import NeuralNet
import TensorCore

/// One step's figures.
public struct OrientationTrainingStep: Equatable, Sendable {
    /// Mean cross-entropy of the scores against the applied poses.
    public let loss: Float
    /// Fraction of the batch whose applied pose had the best score.
    public let accuracy: Float
}

/// Trains a canonicalizer alone as an orientation corrector: the training images are taken as
/// upright, each gets a random group element g, and the scorer learns to give T_g x the best
/// score at g (cross-entropy against g), so that canonicalizing undoes the turn.
///
/// ```swift
/// let canonicalizer = try DiscreteCanonicalizer(configuration: .init(group: .d4))
/// let trainer = OrientationTrainer(canonicalizer: canonicalizer,
///                                  optimizer: Adam(module: canonicalizer, learningRate: 3e-3))
/// var generator = SeededGenerator(seed: 1)
/// for batch in batches { let step = trainer.step(upright: batch, generator: &generator) }
/// canonicalizer.eval()
/// try canonicalizer.save(weightsTo: url)
/// ```
public final class OrientationTrainer {
    /// The canonicalizer being trained.
    public let canonicalizer: DiscreteCanonicalizer
    /// Updates the canonicalizer's parameters (built over them, e.g. `Adam(module:)`).
    public let optimizer: Optimizer

    /// A trainer; the canonicalizer is switched to training mode.
    public init(canonicalizer: DiscreteCanonicalizer, optimizer: Optimizer) {
        self.canonicalizer = canonicalizer
        self.optimizer = optimizer
        canonicalizer.train()
    }

    /// The scorer inputs of upright images (each (1, C, H, W), sizes may differ), each turned
    /// by a random element, and the element indices. Exact groups preprocess first and turn
    /// the small square (cheap, and equal up to resize rounding); C8/D8 turn the full image
    /// first so the interpolated rotation sees full resolution.
    public func turnedScorerInputs(upright images: [Tensor], generator: inout SeededGenerator)
        -> (inputs: Tensor, targets: [Int32]) {
        precondition(!images.isEmpty, "a training batch needs at least one image")
        let group = canonicalizer.group
        let targets = images.map { _ in Int32(generator.nextInt(below: group.order)) }
        var parts: [Tensor] = []
        for (image, target) in zip(images, targets) {
            precondition(image.rank == 4 && image.shape[0] == 1,
                         "training images are (1, C, H, W) each, got \(image.shape)")
            let element = group.element(at: Int(target))
            if group.isExactOnPixelGrid {
                parts.append(PoseActions.transformPlanes(canonicalizer.scorerInput(image),
                                                         by: element, of: group))
            } else {
                parts.append(canonicalizer.scorerInput(
                    PoseActions.transformPlanes(image, by: element, of: group)))
            }
        }
        return (Tensor.concatenate(parts, axis: 0), targets)
    }

    /// One optimiser step on a batch of upright images (N, C, H, W); returns the loss and the
    /// batch accuracy before the update.
    @discardableResult
    public func step(upright: Tensor, generator: inout SeededGenerator) -> OrientationTrainingStep {
        step(upright: (0..<upright.shape[0]).map { upright.slice(axis: 0, range: $0..<($0 + 1)) },
             generator: &generator)
    }

    /// One optimiser step on upright images of any sizes (each (1, C, H, W)); returns the loss
    /// and the batch accuracy before the update.
    @discardableResult
    public func step(upright: [Tensor], generator: inout SeededGenerator)
        -> OrientationTrainingStep {
        let (inputs, targets) = turnedScorerInputs(upright: upright, generator: &generator)
        optimizer.zeroGradients()
        let scores = canonicalizer(Variable(inputs))  // (N, G)
        let loss = ScoreLosses.crossEntropy(scores: scores, targets: targets)
        loss.backward()
        optimizer.step()
        let order = canonicalizer.group.order
        var hits = 0
        for n in 0..<targets.count {
            let row = Array(scores.value.storage[(n * order)..<((n + 1) * order)])
            if PoseEstimate(group: canonicalizer.group, scores: row).index == Int(targets[n]) {
                hits += 1
            }
        }
        return OrientationTrainingStep(loss: loss.value.storage[0],
                                       accuracy: Float(hits) / Float(max(targets.count, 1)))
    }
}
