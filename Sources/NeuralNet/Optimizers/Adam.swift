import Foundation
import TensorCore

/// Adam (Kingma & Ba 2015, Algorithm 1), following `torch.optim.Adam`:
///
///     g ← ∇θ + λ·θ                     (optional L2 weight decay λ)
///     m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
///     θ ← θ − η · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
///
/// `t` is the optimiser's step count (shared by all parameters; a parameter without gradient
/// in a step keeps its moments while the count advances). State buffers: `m`, `v`.
/// Defaults are the paper's: η = 1e-3, β = (0.9, 0.999), ε = 1e-8.
public final class Adam: Optimizer {
    var rule: AdamRule

    /// Adam over the trainable parameters of `module`.
    public convenience init(module: Module, learningRate: Float = 1e-3, beta1: Float = 0.9,
                            beta2: Float = 0.999, epsilon: Float = 1e-8,
                            weightDecay: Float = 0) {
        self.init(namedParameters: module.namedParameters(), learningRate: learningRate,
                  beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                  module: module)
    }

    /// Adam over the trainable ones of `namedParameters` (names key the state); `module`,
    /// when given, has its caches invalidated after each step.
    public init(namedParameters: [(name: String, parameter: Variable)],
                learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, module: Module? = nil) {
        rule = AdamRule(namedParameters: namedParameters, learningRate: learningRate,
                        beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                        decoupled: false, module: module)
    }

    public var learningRate: Float {
        get { rule.learningRate }
        set { rule.learningRate = newValue }
    }
    public var weightDecay: Float { rule.weightDecay }
    public var stepCount: Int { rule.state.stepCount }
    public var parameters: [Variable] { rule.state.parameters }
    public func step() { rule.step() }
    public func stateDictionary() -> [String: Tensor] { rule.state.stateDictionary() }
    public func load(stateDictionary: [String: Tensor]) throws {
        try rule.state.load(stateDictionary)
    }
}

/// AdamW (Loshchilov & Hutter 2019): Adam with weight decay decoupled from the gradient,
/// following `torch.optim.AdamW`: first θ ← θ − η·λ·θ, then the Adam update with
/// g = ∇θ.
/// Default λ = 0.01 (PyTorch's).
public final class AdamW: Optimizer {
    var rule: AdamRule

    /// AdamW over the trainable parameters of `module`.
    public convenience init(module: Module, learningRate: Float = 1e-3, beta1: Float = 0.9,
                            beta2: Float = 0.999, epsilon: Float = 1e-8,
                            weightDecay: Float = 0.01) {
        self.init(namedParameters: module.namedParameters(), learningRate: learningRate,
                  beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                  module: module)
    }

    /// AdamW over the trainable ones of `namedParameters` (names key the state).
    public init(namedParameters: [(name: String, parameter: Variable)],
                learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01, module: Module? = nil) {
        rule = AdamRule(namedParameters: namedParameters, learningRate: learningRate,
                        beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                        decoupled: true, module: module)
    }

    public var learningRate: Float {
        get { rule.learningRate }
        set { rule.learningRate = newValue }
    }
    public var weightDecay: Float { rule.weightDecay }
    public var stepCount: Int { rule.state.stepCount }
    public var parameters: [Variable] { rule.state.parameters }
    public func step() { rule.step() }
    public func stateDictionary() -> [String: Tensor] { rule.state.stateDictionary() }
    public func load(stateDictionary: [String: Tensor]) throws {
        try rule.state.load(stateDictionary)
    }
}

/// The update shared by Adam and AdamW.
struct AdamRule {
    var learningRate: Float
    let beta1: Float
    let beta2: Float
    let epsilon: Float
    let weightDecay: Float
    let decoupled: Bool
    var state: OptimizerState

    init(namedParameters: [(name: String, parameter: Variable)], learningRate: Float,
         beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupled: Bool,
         module: Module?) {
        precondition(learningRate >= 0, "learning rate \(learningRate) must be >= 0")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2),
                     "betas (\(beta1), \(beta2)) must lie in [0, 1)")
        precondition(epsilon > 0, "epsilon \(epsilon) must be > 0")
        precondition(weightDecay >= 0, "weight decay \(weightDecay) must be >= 0")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        state = OptimizerState(named: namedParameters, bufferKinds: ["m", "v"], module: module)
    }

    mutating func step() {
        let t = Double(state.stepCount + 1)
        let correction1 = Float(1 - pow(Double(beta1), t))
        let correction2 = Float(1 - pow(Double(beta2), t))
        let rate = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        let l2: Float = decoupled ? 0 : weightDecay
        let shrink: Float = decoupled ? 1 - learningRate * weightDecay : 1
        for (index, parameter) in state.parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            precondition(gradient.shape == parameter.shape, "gradient shape "
                         + "\(gradient.shape) differs from parameter \(parameter.shape)")
            var first = state.take(0, index)
            var second = state.take(1, index)
            parameter.value.storage.withUnsafeMutableBufferPointer { theta in
                gradient.storage.withUnsafeBufferPointer { grad in
                    first.storage.withUnsafeMutableBufferPointer { m in
                        second.storage.withUnsafeMutableBufferPointer { v in
                            for i in 0..<theta.count {
                                theta[i] *= shrink
                                let g = grad[i] + l2 * theta[i]
                                m[i] = b1 * m[i] + (1 - b1) * g
                                v[i] = b2 * v[i] + (1 - b2) * g * g
                                let mHat = m[i] / correction1
                                let vHat = v[i] / correction2
                                theta[i] -= rate * mHat / (vHat.squareRoot() + eps)
                            }
                        }
                    }
                }
            }
            state.restore(first, 0, index)
            state.restore(second, 1, index)
        }
        state.finishStep()
    }
}
