import TensorCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// with PyTorch's update rule (`torch.optim.SGD`, dampening 0):
///
///     g ← ∇θ + λ·θ                     (weight decay λ)
///     b ← μ·b + g                      (momentum μ; b starts at 0, so the first b is g)
///     d ← g + μ·b  (Nesterov)   or   d ← b
///     θ ← θ − η·d
///
/// Defaults: momentum 0 (plain SGD), no Nesterov, no weight decay. State buffer: `momentum`.
public final class SGD: Optimizer {
    public var learningRate: Float
    /// Momentum factor μ (0 = none).
    public let momentum: Float
    /// Whether to use Nesterov momentum (Sutskever et al. 2013), which needs μ > 0.
    public let nesterov: Bool
    /// L2 penalty λ added to the gradient.
    public let weightDecay: Float
    private var state: OptimizerState

    /// An optimiser over the trainable parameters of `module`.
    public convenience init(module: Module, learningRate: Float, momentum: Float = 0,
                            nesterov: Bool = false, weightDecay: Float = 0) {
        self.init(namedParameters: module.namedParameters(), learningRate: learningRate,
                  momentum: momentum, nesterov: nesterov, weightDecay: weightDecay,
                  module: module)
    }

    /// An optimiser over the trainable ones of `namedParameters` (names key the state).
    public init(namedParameters: [(name: String, parameter: Variable)], learningRate: Float,
                momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0,
                module: Module? = nil) {
        precondition(learningRate >= 0, "learning rate \(learningRate) must be >= 0")
        precondition(momentum >= 0, "momentum \(momentum) must be >= 0")
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        precondition(weightDecay >= 0, "weight decay \(weightDecay) must be >= 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        state = OptimizerState(named: namedParameters,
                               bufferKinds: momentum > 0 ? ["momentum"] : [], module: module)
    }

    public var stepCount: Int { state.stepCount }
    public var parameters: [Variable] { state.parameters }

    public func step() {
        let rate = learningRate, mu = momentum, decay = weightDecay, nesterov = nesterov
        for (index, parameter) in state.parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            precondition(gradient.shape == parameter.shape, "gradient shape "
                         + "\(gradient.shape) differs from parameter \(parameter.shape)")
            var buffer = mu > 0 ? state.take(0, index) : Tensor(zeros: [0])
            parameter.value.storage.withUnsafeMutableBufferPointer { theta in
                gradient.storage.withUnsafeBufferPointer { grad in
                    buffer.storage.withUnsafeMutableBufferPointer { b in
                        for i in 0..<theta.count {
                            var g = grad[i] + decay * theta[i]
                            if mu > 0 {
                                b[i] = mu * b[i] + g
                                g = nesterov ? g + mu * b[i] : b[i]
                            }
                            theta[i] -= rate * g
                        }
                    }
                }
            }
            if mu > 0 { state.restore(buffer, 0, index) }
        }
        state.finishStep()
    }

    public func stateDictionary() -> [String: Tensor] { state.stateDictionary() }

    public func load(stateDictionary: [String: Tensor]) throws {
        try state.load(stateDictionary)
    }
}
