import Foundation
import NeuralNet
import TensorCore

/// One step's figures of EGNN orientation training.
public struct EGNNTrainingStep: Equatable, Sendable {
    /// The loss that was minimised.
    public let loss: Float
    /// Median over the batch of |predicted angle − applied angle|, in degrees, before the update.
    public let medianAngleError: Double
}

/// Trains an `EGNNCanonicalizer` alone as an orientation corrector: the training point sets are
/// taken as upright, each is turned by a random angle φ (and mirrored at random for O(2)), and
/// the frame vectors learn to point along the frame R_φ F^m (`FrameLosses.cosine`), so that
/// canonicalizing undoes the turn.
///
/// ```swift
/// let model = try EGNNCanonicalizer(configuration: .init(group: .so2, featureChannels: 1))
/// let trainer = EGNNOrientationTrainer(canonicalizer: model,
///                                      optimizer: Adam(module: model, learningRate: 3e-3))
/// var generator = SeededGenerator(seed: 1)
/// for batch in batches { try trainer.step(upright: batch, generator: &generator) }
/// ```
public final class EGNNOrientationTrainer {
    /// The canonicalizer being trained.
    public let canonicalizer: EGNNCanonicalizer
    /// Updates its parameters.
    public let optimizer: Optimizer

    /// A trainer; the canonicalizer is switched to training mode.
    public init(canonicalizer: EGNNCanonicalizer, optimizer: Optimizer) {
        self.canonicalizer = canonicalizer
        self.optimizer = optimizer
        canonicalizer.train()
    }

    /// The upright sets turned about their centroids by random poses (angles uniform in
    /// [−π, π)), and the poses.
    public func turned(_ upright: [PointSet], generator: inout SeededGenerator)
        -> (sets: [PointSet], poses: [(angle: Double, mirrored: Bool)]) {
        let mirrors = canonicalizer.configuration.group == .o2
        var sets: [PointSet] = [], poses: [(angle: Double, mirrored: Bool)] = []
        for set in upright {
            let angle = Double.pi * (2 * generator.nextDouble() - 1)
            let mirrored = mirrors && generator.nextInt(below: 2) == 1
            sets.append(set.rotated(by: angle, mirrored: mirrored, about: set.centroid))
            poses.append((angle, mirrored))
        }
        return (sets, poses)
    }

    /// One optimiser step on upright point sets, each turned by a random pose; throws for a
    /// set without an orientation.
    @discardableResult
    public func step(upright: [PointSet], generator: inout SeededGenerator) throws
        -> EGNNTrainingStep {
        let (sets, poses) = turned(upright, generator: &generator)
        return try step(sets: sets, poses: poses)
    }

    /// One optimiser step on point sets whose frames are known: set b equals its upright form
    /// under R_φ F^m with (φ, m) = poses[b] (F: x ↦ −x). Image training turns the scans
    /// themselves and passes their keypoints here.
    @discardableResult
    public func step(sets: [PointSet], poses: [(angle: Double, mirrored: Bool)]) throws
        -> EGNNTrainingStep {
        precondition(!sets.isEmpty && sets.count == poses.count,
                     "a training batch needs at least one point set and one pose per set")
        let count = canonicalizer.configuration.group.frameVectorCount
        let targets = poses.flatMap {
            FrameLosses.targets(angle: $0.angle, mirrored: $0.mirrored, vectorCount: count)
        }
        let input = try canonicalizer.input(for: sets)
        optimizer.zeroGradients()
        let vectors = canonicalizer.frameVectors(input)  // (B, 2C)
        let loss = FrameLosses.cosine(vectors, targets: targets)
        loss.backward()
        optimizer.step()
        let v = vectors.value.storage
        let errors = poses.indices.map { b in
            // The first vector is the canonical up, R_φ (0, 1).
            let up = atan2(Double(v[b * 2 * count + 1]), Double(v[b * 2 * count]))
            return abs(OrientationFrame.angleDifference(up - .pi / 2, poses[b].angle)) * 180
                / .pi
        }
        return EGNNTrainingStep(loss: loss.value.storage[0],
                                medianAngleError: Statistics.percentile(sorted: errors.sorted(),
                                                                        50))
    }
}
