import Foundation

/// A learning rate as a function of the step count (0 for the first step).
///
/// Schedules compose: `LinearWarmup(steps: 500, then: CosineDecay(...))` warms up, then
/// hands over. Set `optimizer.learningRate = schedule.learningRate(atStep:
/// optimizer.stepCount)` before each `step()`.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for step `step` (≥ 0).
    func learningRate(atStep step: Int) -> Float
}

/// The same rate at every step.
public struct ConstantSchedule: LearningRateSchedule {
    public let rate: Float

    public init(rate: Float) { self.rate = rate }

    public func learningRate(atStep step: Int) -> Float { rate }
}

/// Step decay: `base · γ^⌊step / stepSize⌋` (PyTorch `StepLR`). Default γ = 0.1.
public struct StepDecay: LearningRateSchedule {
    public let base: Float
    public let stepSize: Int
    public let gamma: Float

    public init(base: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "step size \(stepSize) must be > 0")
        self.base = base
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(atStep step: Int) -> Float {
        base * pow(gamma, Float(max(step, 0) / stepSize))
    }
}

/// Cosine annealing from `base` to `minimum` over `totalSteps` (Loshchilov & Hutter 2017,
/// without restarts): `min + (base − min)·(1 + cos(π·t/T))/2`, then `minimum` after T.
public struct CosineDecay: LearningRateSchedule {
    public let base: Float
    public let totalSteps: Int
    public let minimum: Float

    public init(base: Float, totalSteps: Int, minimum: Float = 0) {
        precondition(totalSteps > 0, "total steps \(totalSteps) must be > 0")
        self.base = base
        self.totalSteps = totalSteps
        self.minimum = minimum
    }

    public func learningRate(atStep step: Int) -> Float {
        let progress = Double(min(max(step, 0), totalSteps)) / Double(totalSteps)
        return minimum + (base - minimum) * Float((1 + cos(Double.pi * progress)) / 2)
    }
}

/// Linear warm-up in front of another schedule: for the first `steps` steps the rate rises
/// linearly from `startFactor · r0` to `r0` (r0 = the inner schedule's first rate), reaching
/// `r0` at step `steps`; from then on step s gets the inner schedule's rate for `s − steps`,
/// so the inner schedule starts fresh after the warm-up. Default start factor 0.
public struct LinearWarmup: LearningRateSchedule {
    public let steps: Int
    public let startFactor: Float
    public let schedule: any LearningRateSchedule

    public init(steps: Int, startFactor: Float = 0, then schedule: any LearningRateSchedule) {
        precondition(steps >= 0, "warm-up steps \(steps) must be >= 0")
        precondition((0...1).contains(startFactor), "start factor \(startFactor) not in [0, 1]")
        self.steps = steps
        self.startFactor = startFactor
        self.schedule = schedule
    }

    public func learningRate(atStep step: Int) -> Float {
        guard step < steps else { return schedule.learningRate(atStep: step - steps) }
        let fraction = Float(max(step, 0)) / Float(steps)
        return schedule.learningRate(atStep: 0) * (startFactor + (1 - startFactor) * fraction)
    }
}
