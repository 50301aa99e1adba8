import NeuralNet
import TensorCore

/// Global spatial pooling: max or mean over (H, W) of every plane, invariant to any permutation
/// of positions. Shapes: (N, C, H, W) → (N, C), or (N, C, |G|, H, W) → (N, C, |G|).
public final class GlobalPooling: Module {
    /// Max or mean.
    public enum Kind: String, Sendable, Codable { case max, mean }

    /// Max or mean.
    public let kind: Kind

    /// Global pooling.
    public init(_ kind: Kind = .max) {
        self.kind = kind
        super.init()
    }

    /// (…, H, W) → (…).
    public override func forward(_ input: Variable) -> Variable {
        let shape = input.shape
        switch kind {
        case .max:
            let (output, argmax) = Pool2D.globalMaxForward(input: input.value)
            return Variable.record(output, parents: [input]) { g in
                [Pool2D.globalMaxBackward(outputGradient: g, argmax: argmax, inputShape: shape)]
            }
        case .mean:
            return Variable.record(Pool2D.globalAverageForward(input: input.value),
                                   parents: [input]) { g in
                [Pool2D.globalAverageBackward(outputGradient: g, inputShape: shape)]
            }
        }
    }
}
