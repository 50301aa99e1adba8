import TensorCore

/// Batch normalisation per index of axis 1 (Ioffe & Szegedy 2015), PyTorch's
/// `nn.BatchNorm2d`; it accepts any input of rank ≥ 2, so it also serves (N, C) features and
/// (N, C, G, H, W) group feature maps (one statistic per field).
///
/// Shapes: input (N, C, …) → output (N, C, …); `weight` γ and `bias` β (C) are trained;
/// buffers `runningMean` (C, starts 0) and `runningVariance` (C, starts 1) are updated in
/// training with `momentum` (default 0.1: r ← 0.9·r + 0.1·batch statistic, unbiased variance)
/// and used in evaluation. ε = 1e-5. Names match PyTorch's except `num_batches_tracked`,
/// which is not kept.
public final class BatchNorm2d: Module {
    public let weight: Variable
    public let bias: Variable
    public let runningMean: Buffer
    public let runningVariance: Buffer
    public let momentum: Float
    public let epsilon: Float

    public init(featureCount: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(featureCount > 0, "BatchNorm2d feature count must be positive")
        precondition((0...1).contains(momentum), "BatchNorm2d momentum \(momentum) not in [0, 1]")
        weight = Variable(Tensor(zeros: [featureCount], value: 1), requiresGrad: true)
        bias = Variable(Tensor(zeros: [featureCount]), requiresGrad: true)
        runningMean = Buffer(Tensor(zeros: [featureCount]))
        runningVariance = Buffer(Tensor(zeros: [featureCount], value: 1))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    override public func forward(_ input: Variable) -> Variable {
        Functional.batchNorm(input, gamma: weight, beta: bias, runningMean: runningMean,
                             runningVariance: runningVariance, momentum: momentum,
                             epsilon: epsilon, training: isTraining)
    }
}
