import Equivariance
import Foundation
import NeuralNet
import TensorCore

/// What a downstream output is, which decides how `invert` maps it back to the scan's pose.
public enum CanonicalOutputKind: String, Sendable, Codable {
    /// Class probabilities or any pose-invariant value: returned unchanged.
    case invariant
    /// Images and per-pixel probability maps (N, C, H, W): moved by the pose (bilinear where
    /// the pose is off the grid).
    case planes
    /// Label maps stored as Float class indices, (N, H, W) or (N, 1, H, W): moved by the pose
    /// with nearest sampling, so no new labels appear.
    case labelPlanes
    /// Regular feature maps (N, C, |G|, H, W): moved spatially and permuted along the group
    /// axis.
    case regularFeatureMap
}

/// A canonicalized batch: the canonical images and the pose of each input.
public struct Canonicalization {
    /// pose⁻¹ · x for every image, (N, C, H', W').
    public let canonical: Tensor
    /// The pose found for each image; image n equals `poses[n]` applied to `canonical[n]`.
    public let poses: [PoseEstimate]
}

/// The discrete image canonicalizer (Kaba et al. 2023): a `PoseScoringNetwork` scores every
/// element of G for an image, the best-scoring pose g is found, and the image is mapped by g⁻¹
/// to its canonical pose. Outputs computed on the canonical image are mapped back by g
/// (`invert`).
///
/// Guarantees: for C4 and D4, canonicalize(T_g x) == canonicalize(x) sample for sample and
/// pose(T_g x) = g ∘ pose(x), whenever the best score has no (near) tie. C8 and D8 rotate by
/// interpolation (`PoseActions`) and are approximate.
///
/// Batch norm in the scorer: call `eval()` before inference (a freshly built canonicalizer is
/// in training mode, like every `Module`). `load(from:)` returns it in evaluation mode.
public final class DiscreteCanonicalizer: Module {
    /// Group, scorer preprocessing and network.
    public let configuration: CanonicalizerConfiguration
    /// The scoring network.
    public let scorer: PoseScoringNetwork

    /// A canonicalizer with fresh, seeded weights; throws for an invalid configuration.
    public init(configuration: CanonicalizerConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        scorer = PoseScoringNetwork(group: configuration.group,
                                    configuration: configuration.network)
        super.init()
    }

    /// The pose group.
    public var group: Group { configuration.group }

    /// The scorer input of a batch: (N, C, H, W) → (N, C, S, S) (`ScorerPreprocessing`).
    ///
    /// For C8 and D8 the input is also masked to the disc inscribed in the S × S square: an
    /// interpolated 45° turn moves the corners out of the frame and brings edge-padded
    /// samples in, so only the disc holds the same content in every pose.
    public func scorerInput(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[1] == configuration.network.inputChannels,
                     "canonicalizer input must be (N, \(configuration.network.inputChannels), H, "
                     + "W), got \(images.shape)")
        var input = configuration.preprocessing.apply(images)
        guard !group.isExactOnPixelGrid else { return input }
        let size = configuration.preprocessing.size
        let centre = Double(size - 1) / 2, radius = Double(size) / 2
        var mask = [Float](repeating: 0, count: size * size)  // (S, S)
        for i in 0..<size {
            for j in 0..<size {
                let di = Double(i) - centre, dj = Double(j) - centre
                mask[i * size + j] = di * di + dj * dj <= radius * radius ? 1 : 0
            }
        }
        for p in 0..<input.count { input.storage[p] *= mask[p % (size * size)] }
        return input
    }

    /// Scores of already preprocessed scorer inputs (N, C, S, S) → (N, |G|), on the tape.
    public override func forward(_ scorerInput: Variable) -> Variable {
        scorer(scorerInput)
    }

    /// The scores of a batch of images (N, C, H, W) → (N, |G|), without gradient recording:
    /// the scorer's raw scores, or with several views (`ScorerPreprocessing.views`, each also
    /// under every `viewGammas` exponent) the mean over the views of each view's
    /// log-probabilities (log-softmax over the group), whose softmax is the normalised
    /// geometric mean of the views' probabilities.
    public func scores(_ images: Tensor) -> Tensor {
        let input = scorerInput(images)
        let preprocessing = configuration.preprocessing
        guard preprocessing.views != nil || preprocessing.viewGammas != nil else {
            return GradientTape.withoutRecording { scorer(Variable(input)).value }
        }
        let (batch, order) = (input.shape[0], group.order)
        let gammas = preprocessing.viewGammas ?? []
        let intensities = [input] + gammas.map {
            Tensor(shape: input.shape,
                   storage: IntensityMapping.clampedPower(input.storage, exponent: Float($0)))
        }
        // Each view's log-softmax in Double, so that the mean keeps the precision of every
        // view (`Softmax.logSoftmaxForward` is Float); the calibrated thresholds of packages
        // are computed from these sums.
        var total = [Double](repeating: 0, count: batch * order)
        var count = 0
        for intensity in intensities {
            for ratio in preprocessing.views ?? [1] {
                let view = preprocessing.view(intensity, ratio: ratio)
                let scores = GradientTape.withoutRecording { scorer(Variable(view)).value }
                for n in 0..<batch {
                    let row = scores.storage[(n * order)..<((n + 1) * order)].map(Double.init)
                    let top = row.max() ?? 0
                    let logTotal = top + log(row.reduce(0) { $0 + exp($1 - top) })
                    for (k, score) in row.enumerated() {
                        total[n * order + k] += score - logTotal
                    }
                }
                count += 1
            }
        }
        return Tensor(shape: [batch, order], storage: total.map { Float($0 / Double(count)) })
    }

    /// The pose of every image of a batch (N, C, H, W).
    public func estimatePoses(_ images: Tensor) -> [PoseEstimate] {
        let scores = self.scores(images)
        let order = group.order
        return (0..<images.shape[0]).map { n in
            PoseEstimate(group: group,
                         scores: Array(scores.storage[(n * order)..<((n + 1) * order)]))
        }
    }

    /// Canonicalizes a batch (N, C, H, W): image n becomes pose_n⁻¹ · x_n.
    ///
    /// Images of one batch must come out with one shape: square images, or a batch of one.
    public func canonicalize(_ images: Tensor) -> Canonicalization {
        let poses = estimatePoses(images)
        let canonical = Self.applyPerSample(images, elements: poses.map {
            group.inverse($0.element)
        }, group: group, kind: .planes)
        return Canonicalization(canonical: canonical, poses: poses)
    }

    /// Maps an output computed on canonical images back to the pose of each input:
    /// identity for invariant outputs, pose · y for planes and label maps, the spatial
    /// transform plus group-axis permutation for regular feature maps.
    public func invert(_ output: Tensor, kind: CanonicalOutputKind,
                       poses: [PoseEstimate]) -> Tensor {
        precondition(output.rank >= 1 && output.shape[0] == poses.count,
                     "\(poses.count) poses for an output of shape \(output.shape)")
        precondition(poses.allSatisfy { $0.group == group },
                     "poses must come from this canonicalizer's group \(group)")
        return Self.applyPerSample(output, elements: poses.map(\.element), group: group,
                                   kind: kind)
    }

    /// Maps a label map computed on a canonical image back to the scan's pose.
    public func invert(labels: [Int32], height: Int, width: Int,
                       pose: PoseEstimate) -> (labels: [Int32], height: Int, width: Int) {
        precondition(pose.group == group,
                     "pose of \(pose.group) given to a canonicalizer of \(group)")
        return PoseActions.transformLabels(labels, height: height, width: width,
                                           by: pose.element, of: group)
    }

    /// Applies `elements[n]` to sample n of `tensor` as `kind` says; the results must agree
    /// in shape.
    static func applyPerSample(_ tensor: Tensor, elements: [GroupElement], group: Group,
                               kind: CanonicalOutputKind) -> Tensor {
        if kind == .invariant { return tensor }
        precondition(tensor.shape[0] == elements.count,
                     "\(elements.count) poses for a batch of \(tensor.shape[0])")
        var parts: [Tensor] = []
        for (n, element) in elements.enumerated() {
            let sample = elements.count == 1 ? tensor : tensor.slice(axis: 0, range: n..<(n + 1))
            // The identity moves nothing (upright scans are the common case in practice).
            if element == group.identity {
                parts.append(sample)
                continue
            }
            switch kind {
            case .invariant:
                parts.append(sample)
            case .planes:
                parts.append(PoseActions.transformPlanes(sample, by: element, of: group))
            case .labelPlanes:
                parts.append(PoseActions.transformPlanes(sample, by: element, of: group,
                                                         interpolation: .nearest))
            case .regularFeatureMap:
                parts.append(PoseActions.transformRegular(sample, by: element, of: group))
            }
        }
        let shape = parts[0].shape
        precondition(parts.allSatisfy { $0.shape == shape },
                     "poses of one batch moved its samples to different shapes "
                     + "\(parts.map(\.shape)); canonicalize non-square images one at a time")
        return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0)
    }
}
