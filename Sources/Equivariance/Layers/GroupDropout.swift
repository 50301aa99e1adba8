import NeuralNet
import TensorCore

/// Inverted dropout in training mode, the identity in evaluation mode (where equivariance is
/// checked). Draws its masks from its own seeded generator, whose state is `generator` (a
/// training checkpoint saves it to resume exactly).
public final class GroupDropout: Module, RandomStateModule {
    /// Probability of zeroing a sample.
    public let probability: Float
    /// The mask generator; setting it continues the mask stream from the given state.
    public var generator: SeededGenerator

    /// Dropout with probability p ∈ [0, 1) and a seed for its masks.
    public init(probability: Float, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1,
                     "dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        generator = SeededGenerator(seed: seed)
        super.init()
    }

    /// Any shape → same shape.
    public override func forward(_ input: Variable) -> Variable {
        guard isTraining, probability > 0 else { return input }
        let (output, mask) = DropoutKernels.forward(input: input.value, probability: probability,
                                                    generator: &generator)
        return Variable.record(output, parents: [input]) { g in
            [DropoutKernels.backward(outputGradient: g, mask: mask)]
        }
    }
}
