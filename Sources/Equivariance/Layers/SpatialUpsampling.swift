import NeuralNet
import TensorCore

/// Integer-factor spatial upsampling of every plane (nearest or bilinear with half-pixel
/// centres). Both commute with 90° rotations and mirrors about the plane centre.
/// Shapes: (…, H, W) → (…, f·H, f·W).
public final class SpatialUpsampling: Module {
    /// Sampling rule.
    public enum Kind: String, Sendable, Codable { case nearest, bilinear }

    /// Sampling rule.
    public let kind: Kind
    /// Integer factor f.
    public let factor: Int

    /// Upsampling by `factor` (an integer, the exactness rule).
    public init(_ kind: Kind = .nearest, factor: Int = 2) {
        precondition(factor >= 1, "upsampling factor must be an integer ≥ 1, got \(factor)")
        self.kind = kind
        self.factor = factor
        super.init()
    }

    /// (…, H, W) → (…, f·H, f·W).
    public override func forward(_ input: Variable) -> Variable {
        let factor = self.factor
        switch kind {
        case .nearest:
            let output = UpsampleKernels.nearestForward(input: input.value, factor: factor)
            return Variable.record(output, parents: [input]) { g in
                [UpsampleKernels.nearestBackward(outputGradient: g, factor: factor)]
            }
        case .bilinear:
            let output = UpsampleKernels.bilinearForward(input: input.value, factor: factor)
            return Variable.record(output, parents: [input]) { g in
                [UpsampleKernels.bilinearBackward(outputGradient: g, factor: factor)]
            }
        }
    }
}
