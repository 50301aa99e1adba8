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
