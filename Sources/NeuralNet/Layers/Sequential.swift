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

/// Unambiguous names for the layers whose names TensorCore's kernels also use (`Linear`,
/// `Dropout`, `Upsample`). In expressions `Linear(...)` resolves to the layer; in type
/// annotations of files that import both modules Swift reports an ambiguity, so write
/// `LinearLayer` (or `NeuralNet.Linear`) there.
public typealias LinearLayer = Linear
/// See `LinearLayer`.
public typealias DropoutLayer = Dropout
/// See `LinearLayer`.
public typealias UpsampleLayer = Upsample
