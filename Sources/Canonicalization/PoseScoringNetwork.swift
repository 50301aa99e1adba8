import Equivariance
import NeuralNet
import TensorCore

/// The equivariant network that scores every pose of an image.
///
/// Layers: lifting convolution, then group convolutions; every layer but the last is followed
/// by group batch norm, ReLU and, for the first `poolingSteps` layers, 2 × 2 average pooling.
/// The last layer's (N, C, |G|, h, w) map is averaged over C, h and w, leaving (N, |G|) scores.
/// Because every layer is equivariant, scores(T_g x)[g·h] = scores(x)[h]: the scores of a turned
/// image are the scores of the image permuted by g (exactly for C4/D4 up to float rounding).
///
/// Shapes: input (N, Cin, S, S) with S a multiple of 2^poolingSteps → scores (N, |G|).
public final class PoseScoringNetwork: Module {
    /// The group whose poses are scored.
    public let group: Group
    /// The convolutions: a `LiftingConvolution`, then `GroupConvolution`s.
    public let convolutions: [Module]
    /// One group batch norm per hidden layer.
    public let norms: [GroupBatchNorm]
    private let _activation = PointwiseNonlinearity(.relu)
    private let _pooling = SpatialPooling(.average, size: 2)
    private let _poolingSteps: Int

    /// A network with fresh, seeded weights.
    public init(group: Group, configuration: ScoringNetworkConfiguration) {
        self.group = group
        var generator = SeededGenerator(seed: configuration.seed)
        let fields = configuration.fields
        var layers: [Module] = [
            LiftingConvolution(group: group, inputChannels: configuration.inputChannels,
                               outputFields: fields[0],
                               kernelSize: configuration.liftingKernelSize,
                               padding: configuration.liftingKernelSize / 2,
                               generator: &generator),
        ]
        for i in 1..<fields.count {
            layers.append(GroupConvolution(group: group, inputFields: fields[i - 1],
                                           outputFields: fields[i],
                                           kernelSize: configuration.kernelSize,
                                           padding: configuration.kernelSize / 2,
                                           generator: &generator))
        }
        convolutions = layers
        norms = fields.dropLast().map { GroupBatchNorm(fields: $0) }
        _poolingSteps = configuration.poolingSteps
        super.init()
    }

    /// (N, Cin, S, S) → (N, |G|) scores.
    public override func forward(_ input: Variable) -> Variable {
        precondition(input.shape.count == 4,
                     "PoseScoringNetwork input must be (N, C, H, W), got \(input.shape)")
        var x = input
        for (index, convolution) in convolutions.enumerated() {
            x = convolution(x)  // (N, C_i, G, h, w)
            guard index < norms.count else { break }
            x = _activation(norms[index](x))
            if index < _poolingSteps { x = _pooling(x) }
        }
        return Self.meanOverFieldsAndSpace(x)
    }

    /// (N, C, G, h, w) → (N, G): the mean over C, h and w; backward spreads g / (C·h·w).
    static func meanOverFieldsAndSpace(_ x: Variable) -> Variable {
        let shape = x.shape
        let (batch, fields, order) = (shape[0], shape[1], shape[2])
        let plane = shape[3] * shape[4]
        let scale = 1 / Float(fields * plane)
        var scores = [Float](repeating: 0, count: batch * order)  // (N, G)
        x.value.storage.withUnsafeBufferPointer { input in
            for n in 0..<batch {
                for c in 0..<fields {
                    for g in 0..<order {
                        let base = ((n * fields + c) * order + g) * plane
                        var sum: Float = 0
                        for p in 0..<plane { sum += input[base + p] }
                        scores[n * order + g] += sum * scale
                    }
                }
            }
        }
        return Variable.record(Tensor(shape: [batch, order], storage: scores),
                               parents: [x]) { gradient in
            var spread = [Float](repeating: 0, count: shape.reduce(1, *))  // (N, C, G, h, w)
            for n in 0..<batch {
                for c in 0..<fields {
                    for g in 0..<order {
                        let value = gradient.storage[n * order + g] * scale
                        let base = ((n * fields + c) * order + g) * plane
                        for p in 0..<plane { spread[base + p] = value }
                    }
                }
            }
            return [Tensor(shape: shape, storage: spread)]
        }
    }
}
