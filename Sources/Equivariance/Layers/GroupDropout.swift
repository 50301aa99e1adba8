import NeuralNet
import TensorCore

/// Inverted dropout in training mode, the identity in evaluation mode (where equivariance is
/// checked). Draws its masks from its own seeded generator.
public final class GroupDropout: Module {
    /// Probability of zeroing a sample.
    public let probability: Float
    private var _generator: SeededGenerator

    /// Dropout with probability p ∈ [0, 1) and a seed for its masks.
    public init(probability: Float, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1,
                     "dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        _generator = SeededGenerator(seed: seed)
        super.init()
    }

    /// Any shape → same shape.
    public override func forward(_ input: Variable) -> Variable {
        guard isTraining, probability > 0 else { return input }
        let (output, mask) = Dropout.forward(input: input.value, probability: probability,
                                             generator: &_generator)
        return Variable.record(output, parents: [input]) { g in
            [Dropout.backward(outputGradient: g, mask: mask)]
        }
    }
}
