import NeuralNet
import TensorCore

/// Group batch normalisation (escnn's inner batch norm): one mean and variance and one affine
/// pair (γ, β) per field, shared by its |G| poses and all positions, so that normalising
/// commutes with the group action. Ioffe & Szegedy 2015 over the axes (N, |G|, H, W).
///
/// Shapes: (N, C, |G|, H, W) → same. Parameters `gamma`, `beta` (C) start at 1 and 0; buffers
/// `runningMean`, `runningVariance` (C) start at 0 and 1 and follow PyTorch's momentum update.
public final class GroupBatchNorm: Module {
    /// Fields C.
    public let fields: Int
    /// Scale per field.
    public let gamma: Variable
    /// Shift per field.
    public let beta: Variable
    /// Running mean per field (used in evaluation mode).
    public let runningMean: Buffer
    /// Running (unbiased) variance per field (used in evaluation mode).
    public let runningVariance: Buffer
    /// Weight of the newest batch in the running estimates (PyTorch default 0.1).
    public let momentum: Float
    /// Added to the variance before the square root (PyTorch default 1e-5).
    public let epsilon: Float

    /// Batch norm over `fields` fields.
    public init(fields: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.fields = fields
        self.momentum = momentum
        self.epsilon = epsilon
        gamma = Variable(Tensor(zeros: [fields], value: 1), requiresGrad: true)
        beta = Variable(Tensor(zeros: [fields]), requiresGrad: true)
        runningMean = Buffer(Tensor(zeros: [fields]))
        runningVariance = Buffer(Tensor(zeros: [fields], value: 1))
        super.init()
    }

    /// (N, C, |G|, H, W) → (N, C, |G|, H, W); also accepts (N, C, H, W) invariant maps.
    public override func forward(_ input: Variable) -> Variable {
        precondition(input.shape.count >= 2 && input.shape[1] == fields,
                     "GroupBatchNorm expects (N, \(fields), …), got \(input.shape)")
        var mean = runningMean.value, variance = runningVariance.value
        let (output, cache) = BatchNorm.forward(input: input.value, gamma: gamma.value,
                                                beta: beta.value, runningMean: &mean,
                                                runningVariance: &variance, momentum: momentum,
                                                epsilon: epsilon, training: isTraining)
        if isTraining {
            runningMean.value = mean
            runningVariance.value = variance
        }
        return Variable.record(output, parents: [input, gamma, beta]) { gradient in
            let grads = BatchNorm.backward(outputGradient: gradient, cache: cache)
            return [grads.input, grads.gamma, grads.beta]
        }
    }
}

/// A pointwise nonlinearity. Acting on each sample alone, it commutes with every permutation
/// of positions and poses, so it keeps any regular feature map equivariant.
public final class PointwiseNonlinearity: Module {
    /// The function applied.
    public enum Function: String, Sendable, Codable {
        /// max(x, 0).
        case relu
        /// x for x > 0, 0.01·x otherwise.
        case leakyRelu
        /// x for x > 0, eˣ − 1 otherwise.
        case elu
        /// tanh x.
        case tanh
    }

    /// The function applied.
    public let function: Function

    /// A layer applying `function` (default ReLU).
    public init(_ function: Function = .relu) {
        self.function = function
        super.init()
    }

    /// Any shape → same shape.
    public override func forward(_ input: Variable) -> Variable {
        let x = input.value
        switch function {
        case .relu:
            return TapeOperations.relu(input)
        case .leakyRelu:
            return Variable.record(Activation.leakyReluForward(x), parents: [input]) { g in
                [Activation.leakyReluBackward(outputGradient: g, input: x)]
            }
        case .elu:
            return Variable.record(Activation.eluForward(x), parents: [input]) { g in
                [Activation.eluBackward(outputGradient: g, input: x)]
            }
        case .tanh:
            let y = Activation.tanhForward(x)
            return Variable.record(y, parents: [input]) { g in
                [Activation.tanhBackward(outputGradient: g, output: y)]
            }
        }
    }
}

/// Spatial max or average pooling of every plane of a group feature map (or image), with
/// non-overlapping k × k windows (stride k).
///
/// Exactness rule: the windows must tile the plane (H and W multiples of k); otherwise the
/// dropped border rows would differ between an input and its rotation. Violations are a
/// precondition failure; models check sizes first and throw.
/// Shapes: (…, H, W) → (…, H/k, W/k).
public final class SpatialPooling: Module {
    /// Max or average.
    public enum Kind: String, Sendable, Codable { case max, average }

    /// Max or average.
    public let kind: Kind
    /// Window extent and stride k.
    public let size: Int

    /// Pooling with k × k windows at stride k.
    public init(_ kind: Kind, size: Int = 2) {
        precondition(size >= 1, "pooling size must be ≥ 1, got \(size)")
        self.kind = kind
        self.size = size
        super.init()
    }

    /// (…, H, W) → (…, H/k, W/k).
    public override func forward(_ input: Variable) -> Variable {
        let shape = input.shape
        let h = shape[shape.count - 2], w = shape[shape.count - 1]
        precondition(h % size == 0 && w % size == 0,
                     "equivariant pooling needs windows that tile the map: \(h)×\(w) is not a "
                     + "multiple of \(size)")
        let x = input.value
        switch kind {
        case .max:
            let (output, argmax) = Pool2D.maxForward(input: x, kernel: size)
            return Variable.record(output, parents: [input]) { g in
                [Pool2D.maxBackward(outputGradient: g, argmax: argmax, inputShape: shape)]
            }
        case .average:
            return Variable.record(Pool2D.averageForward(input: x, kernel: size),
                                   parents: [input]) { [size] g in
                [Pool2D.averageBackward(outputGradient: g, inputShape: shape, kernel: size)]
            }
        }
    }
}

/// Integer-factor spatial upsampling of every plane (nearest or bilinear with half-pixel
/// centres). Both commute with 90° rotations and mirrors about the plane centre.
/// Shapes: (…, H, W) → (…, f·H, f·W).
public final class SpatialUpsampling: Module {
    /// Sampling rule.
    public enum Kind: String, Sendable, Codable { case nearest, bilinear }

    /// Sampling rule.
    public let kind: Kind
    /// Integer factor f.
    public let factor: Int

    /// Upsampling by `factor` (an integer, the exactness rule).
    public init(_ kind: Kind = .nearest, factor: Int = 2) {
        precondition(factor >= 1, "upsampling factor must be an integer ≥ 1, got \(factor)")
        self.kind = kind
        self.factor = factor
        super.init()
    }

    /// (…, H, W) → (…, f·H, f·W).
    public override func forward(_ input: Variable) -> Variable {
        let factor = self.factor
        switch kind {
        case .nearest:
            return Variable.record(Upsample.nearestForward(input: input.value, factor: factor),
                                   parents: [input]) { g in
                [Upsample.nearestBackward(outputGradient: g, factor: factor)]
            }
        case .bilinear:
            return Variable.record(Upsample.bilinearForward(input: input.value, factor: factor),
                                   parents: [input]) { g in
                [Upsample.bilinearBackward(outputGradient: g, factor: factor)]
            }
        }
    }
}

/// Group pooling: max or mean over the |G| poses of every field, which turns a regular feature
/// map into an invariant one (Cohen & Welling 2016, sec. 6.3): pool(g·f) = T_g pool(f).
/// Shapes: (N, C, |G|, H, W) → (N, C, H, W).
public final class GroupPooling: Module {
    /// Max or mean over poses.
    public enum Kind: String, Sendable, Codable { case max, mean }

    /// Max or mean.
    public let kind: Kind

    /// Pooling over the group axis.
    public init(_ kind: Kind = .max) {
        self.kind = kind
        super.init()
    }

    /// (N, C, |G|, H, W) → (N, C, H, W).
    public override func forward(_ input: Variable) -> Variable {
        let s = input.shape
        precondition(s.count == 5, "GroupPooling input must be (N, C, G, H, W), got \(s)")
        let (output, argmax) = GroupPooling.poolForward(input.value, kind: kind)
        let kind = self.kind
        return Variable.record(output, parents: [input]) { g in
            [GroupPooling.poolBackward(outputGradient: g, inputShape: s, kind: kind,
                                       argmax: argmax)]
        }
    }

    /// Forward kernel: y[n, c, p] = max_g or mean_g x[n, c, g, p]. For max, also the pose of
    /// the maximum per output sample (first one on ties).
    static func poolForward(_ x: Tensor, kind: Kind) -> (Tensor, [Int32]) {
        let s = x.shape
        let outer = s[0] * s[1], order = s[2], plane = s[3] * s[4]
        var output = [Float](repeating: 0, count: outer * plane)  // (N, C, H, W)
        var argmax = [Int32](repeating: 0, count: kind == .max ? outer * plane : 0)
        x.storage.withUnsafeBufferPointer { xs in
            output.withUnsafeMutableBufferPointer { ys in
                for o in 0..<outer {
                    let inBase = o * order * plane, outBase = o * plane
                    for p in 0..<plane { ys[outBase + p] = xs[inBase + p] }
                    for g in 1..<max(order, 1) {
                        let row = inBase + g * plane
                        switch kind {
                        case .max:
                            for p in 0..<plane where xs[row + p] > ys[outBase + p] {
                                ys[outBase + p] = xs[row + p]
                                argmax[outBase + p] = Int32(g)
                            }
                        case .mean:
                            for p in 0..<plane { ys[outBase + p] += xs[row + p] }
                        }
                    }
                    if kind == .mean {
                        let scale = 1 / Float(order)
                        for p in 0..<plane { ys[outBase + p] *= scale }
                    }
                }
            }
        }
        return (Tensor(shape: [s[0], s[1], s[3], s[4]], storage: output), argmax)
    }

    /// Backward kernel: max routes g to the arg-max pose; mean spreads g/|G| over the poses.
    static func poolBackward(outputGradient: Tensor, inputShape s: [Int], kind: Kind,
                             argmax: [Int32]) -> Tensor {
        let outer = s[0] * s[1], order = s[2], plane = s[3] * s[4]
        var gradient = [Float](repeating: 0, count: outer * order * plane)  // (N, C, G, H, W)
        outputGradient.storage.withUnsafeBufferPointer { gy in
            for o in 0..<outer {
                for p in 0..<plane {
                    let value = gy[o * plane + p]
                    switch kind {
                    case .max:
                        gradient[(o * order + Int(argmax[o * plane + p])) * plane + p] = value
                    case .mean:
                        for g in 0..<order {
                            gradient[(o * order + g) * plane + p] = value / Float(order)
                        }
                    }
                }
            }
        }
        return Tensor(shape: s, storage: gradient)
    }
}

/// Global spatial pooling: max or mean over (H, W) of every plane, invariant to any permutation
/// of positions. Shapes: (N, C, H, W) → (N, C), or (N, C, |G|, H, W) → (N, C, |G|).
public final class GlobalPooling: Module {
    /// Max or mean.
    public enum Kind: String, Sendable, Codable { case max, mean }

    /// Max or mean.
    public let kind: Kind

    /// Global pooling.
    public init(_ kind: Kind = .max) {
        self.kind = kind
        super.init()
    }

    /// (…, H, W) → (…).
    public override func forward(_ input: Variable) -> Variable {
        let shape = input.shape
        switch kind {
        case .max:
            let (output, argmax) = Pool2D.globalMaxForward(input: input.value)
            return Variable.record(output, parents: [input]) { g in
                [Pool2D.globalMaxBackward(outputGradient: g, argmax: argmax, inputShape: shape)]
            }
        case .mean:
            return Variable.record(Pool2D.globalAverageForward(input: input.value),
                                   parents: [input]) { g in
                [Pool2D.globalAverageBackward(outputGradient: g, inputShape: shape)]
            }
        }
    }
}

/// A fully connected head on invariant features: y = x·Wᵀ + b.
/// Shapes: input (N, F), weight (O, F), bias (O) → (N, O).
public final class LinearHead: Module {
    /// (O, F), uniform in ±1/√F (PyTorch's default scale).
    public let weight: Variable
    /// (O), zero.
    public let bias: Variable

    /// A head from `inputFeatures` to `outputFeatures`.
    public init(inputFeatures: Int, outputFeatures: Int, generator: inout SeededGenerator) {
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = Variable(Tensor.uniform(shape: [outputFeatures, inputFeatures], low: -bound,
                                         high: bound, generator: &generator), requiresGrad: true)
        bias = Variable(Tensor(zeros: [outputFeatures]), requiresGrad: true)
        super.init()
    }

    /// (N, F) → (N, O).
    public override func forward(_ input: Variable) -> Variable {
        let x = input.value, w = weight.value
        return Variable.record(Linear.forward(input: x, weight: w, bias: bias.value),
                               parents: [input, weight, bias]) { g in
            let grads = Linear.backward(outputGradient: g, input: x, weight: w)
            return [grads.input, grads.weight, grads.bias]
        }
    }
}

/// Inverted dropout in training mode, the identity in evaluation mode (where equivariance is
/// checked). Draws its masks from its own seeded generator.
public final class GroupDropout: Module {
    /// Probability of zeroing a sample.
    public let probability: Float
    private var _generator: SeededGenerator

    /// Dropout with probability p ∈ [0, 1) and a seed for its masks.
    public init(probability: Float, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1,
                     "dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        _generator = SeededGenerator(seed: seed)
        super.init()
    }

    /// Any shape → same shape.
    public override func forward(_ input: Variable) -> Variable {
        guard isTraining, probability > 0 else { return input }
        let (output, mask) = Dropout.forward(input: input.value, probability: probability,
                                             generator: &_generator)
        return Variable.record(output, parents: [input]) { g in
            [Dropout.backward(outputGradient: g, mask: mask)]
        }
    }
}
