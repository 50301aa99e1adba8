import TensorCore

/// (N, …) → (N, product of the rest).
public final class Flatten: Module {
    override public init() {}
    override public func forward(_ input: Variable) -> Variable { Functional.flatten(input) }
}
