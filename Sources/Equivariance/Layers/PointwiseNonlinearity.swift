import NeuralNet
import TensorCore

/// A pointwise nonlinearity. Acting on each sample alone, it commutes with every permutation
/// of positions and poses, so it keeps any regular feature map equivariant.
public final class PointwiseNonlinearity: Module {
    /// The function applied.
    public enum Function: String, Sendable, Codable {
        /// max(x, 0).
        case relu
        /// x for x > 0, 0.01·x otherwise.
        case leakyRelu
        /// x for x > 0, eˣ − 1 otherwise.
        case elu
        /// tanh x.
        case tanh
    }

    /// The function applied.
    public let function: Function

    /// A layer applying `function` (default ReLU).
    public init(_ function: Function = .relu) {
        self.function = function
        super.init()
    }

    /// Any shape → same shape.
    public override func forward(_ input: Variable) -> Variable {
        let x = input.value
        switch function {
        case .relu:
            return TapeOperations.relu(input)
        case .leakyRelu:
            return Variable.record(Activation.leakyReluForward(x), parents: [input]) { g in
                [Activation.leakyReluBackward(outputGradient: g, input: x)]
            }
        case .elu:
            return Variable.record(Activation.eluForward(x), parents: [input]) { g in
                [Activation.eluBackward(outputGradient: g, input: x)]
            }
        case .tanh:
            let y = Activation.tanhForward(x)
            return Variable.record(y, parents: [input]) { g in
                [Activation.tanhBackward(outputGradient: g, output: y)]
            }
        }
    }
}
