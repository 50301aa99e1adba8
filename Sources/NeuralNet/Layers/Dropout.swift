import TensorCore

/// A module that draws random numbers in its forward pass from its own seeded generator.
/// The generator state is not a parameter or buffer (it is not in `stateDictionary()`);
/// code that must continue a run exactly (a training checkpoint) saves and restores
/// `generator` of every such module found by `namedModules()`.
public protocol RandomStateModule: Module {
    /// The module's generator; setting it continues the stream from the given state.
    var generator: SeededGenerator { get set }
}

/// Inverted dropout in training (each sample zeroed with `probability`, the rest scaled by
/// 1/(1 − p)); the identity in evaluation. Any shape. The mask stream comes from the layer's
/// own seeded generator, whose state is `generator` (save it to resume exactly).
public final class Dropout: Module, RandomStateModule {
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
