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
