import NeuralNet
import TensorCore

/// Lifting convolution (Cohen & Welling 2016, eq. 10): correlates an image with every pose of
/// each filter, `out[o, g] = b[o] + Σ_i x[i] ⋆ T_g ψ[o, i]`.
///
/// Shapes: input (N, Cin, H, W) → output (N, Cout, |G|, Ho, Wo), Ho = ⌊(H + 2p − k)/s⌋ + 1.
/// Weight (Cout, Cin, k, k), bias (Cout). Equivariance: lift(T_g x) = g · lift(x) (the regular
/// action, `Group.transformRegular`), exact for C4/D4 when `isExact(inputExtent:)` holds.
public final class LiftingConvolution: EquivariantConvolution {
    /// Image channels.
    public let inputChannels: Int

    /// A lifting convolution with He-initialised filters and zero bias.
    /// - Parameters:
    ///   - padding: symmetric zero padding; (k − 1)/2 keeps the extent for odd k.
    public init(group: Group, inputChannels: Int, outputFields: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool = true,
                generator: inout SeededGenerator) {
        self.inputChannels = inputChannels
        super.init(expansion: FilterExpansion(group: group, kind: .lifting,
                                              outputFields: outputFields,
                                              inputFields: inputChannels, kernelSize: kernelSize),
                   stride: stride, padding: padding, useBias: bias,
                   fanIn: inputChannels * kernelSize * kernelSize, generator: &generator)
    }

    /// (N, Cin, H, W) → (N, Cout, |G|, Ho, Wo).
    public override func forward(_ input: Variable) -> Variable {
        precondition(input.shape.count == 4 && input.shape[1] == inputChannels,
                     "LiftingConvolution input must be (N, \(inputChannels), H, W), got "
                     + "\(input.shape)")
        return convolve(input)
    }
}
