import NeuralNet
import TensorCore

/// Spatial max or average pooling of every plane of a group feature map (or image), with
/// non-overlapping k × k windows (stride k).
///
/// Exactness rule: the windows must tile the plane (H and W multiples of k); otherwise the
/// dropped border rows would differ between an input and its rotation. Violations are a
/// precondition failure; models check sizes first and throw.
/// Shapes: (…, H, W) → (…, H/k, W/k).
public final class SpatialPooling: Module {
    /// Max or average.
    public enum Kind: String, Sendable, Codable { case max, average }

    /// Max or average.
    public let kind: Kind
    /// Window extent and stride k.
    public let size: Int

    /// Pooling with k × k windows at stride k.
    public init(_ kind: Kind, size: Int = 2) {
        precondition(size >= 1, "pooling size must be ≥ 1, got \(size)")
        self.kind = kind
        self.size = size
        super.init()
    }

    /// (…, H, W) → (…, H/k, W/k).
    public override func forward(_ input: Variable) -> Variable {
        let shape = input.shape
        let h = shape[shape.count - 2], w = shape[shape.count - 1]
        precondition(h % size == 0 && w % size == 0,
                     "equivariant pooling needs windows that tile the map: \(h)×\(w) is not a "
                     + "multiple of \(size)")
        let x = input.value
        switch kind {
        case .max:
            guard GradientTape.isRecording, input.requiresGrad else {
                return Variable(Pool2D.maxValues(input: x, kernel: size))  // inference
            }
            let (output, argmax) = Pool2D.maxForward(input: x, kernel: size)
            return Variable.record(output, parents: [input]) { g in
                [Pool2D.maxBackward(outputGradient: g, argmax: argmax, inputShape: shape)]
            }
        case .average:
            return Variable.record(Pool2D.averageForward(input: x, kernel: size),
                                   parents: [input]) { [size] g in
                [Pool2D.averageBackward(outputGradient: g, inputShape: shape, kernel: size)]
            }
        }
    }
}
