import TensorCore

/// Modules applied in order; parameters are named `layers.<index>.…`.
public final class Sequential: Module {
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
    }

    public convenience init(_ layers: Module...) {
        self.init(layers)
    }

    override public func forward(_ input: Variable) -> Variable {
        layers.reduce(input) { $1($0) }
    }
}
