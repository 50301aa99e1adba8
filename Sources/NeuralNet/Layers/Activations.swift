import TensorCore

/// max(x, 0), any shape.
public final class ReLU: Module {
    override public init() {}
    override public func forward(_ input: Variable) -> Variable { Functional.relu(input) }
}

/// x for x > 0, slope·x otherwise (default slope 0.01), any shape.
public final class LeakyReLU: Module {
    public let slope: Float
    public init(slope: Float = 0.01) { self.slope = slope }
    override public func forward(_ input: Variable) -> Variable {
        Functional.leakyRelu(input, slope: slope)
    }
}

/// x for x > 0, α(eˣ − 1) otherwise (default α = 1), any shape.
public final class ELU: Module {
    public let alpha: Float
    public init(alpha: Float = 1) { self.alpha = alpha }
    override public func forward(_ input: Variable) -> Variable {
        Functional.elu(input, alpha: alpha)
    }
}

/// 1 / (1 + e⁻ˣ), any shape.
public final class Sigmoid: Module {
    override public init() {}
    override public func forward(_ input: Variable) -> Variable { Functional.sigmoid(input) }
}

/// Inverted dropout in training (each sample zeroed with `probability`, the rest scaled by
/// 1/(1 − p)); the identity in evaluation. Any shape. The mask stream comes from the layer's
/// own seeded generator, whose state is `generator` (save it to resume exactly).
public final class Dropout: Module {
    public let probability: Float
    public var generator: SeededGenerator

    public init(probability: Float = 0.5, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1,
                     "Dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        generator = SeededGenerator(seed: seed)
    }

    override public func forward(_ input: Variable) -> Variable {
        guard isTraining, probability > 0 else { return input }
        return Functional.dropout(input, probability: probability, generator: &generator)
    }
}

/// (N, …) → (N, product of the rest).
public final class Flatten: Module {
    override public init() {}
    override public func forward(_ input: Variable) -> Variable { Functional.flatten(input) }
}
