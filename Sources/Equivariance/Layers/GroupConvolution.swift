import NeuralNet
import TensorCore

/// Group convolution on regular feature maps (Cohen & Welling 2016, eq. 11):
/// `out[o, g] = b[o] + Σ_{i,h} f[i, h] ⋆ T_g ψ[o, i, g⁻¹h]`; for C4,
/// `out[r] = Σ_s f[s] ⋆ R^r ψ[(s − r) mod 4]`.
///
/// Shapes: input (N, Cin, |G|, H, W) → output (N, Cout, |G|, Ho, Wo). Weight
/// (Cout, Cin, |G|, k, k), bias (Cout). Computed as one Conv2D of the (N, Cin·|G|, H, W) view with
/// the (Cout·|G|, Cin·|G|, k, k) bank of `FilterExpansion`. Equivariance: conv(g·f) = g·conv(f).
public final class GroupConvolution: EquivariantConvolution {
    /// Input fields.
    public let inputFields: Int

    /// A group convolution with He-initialised filters and zero bias.
    public init(group: Group, inputFields: Int, outputFields: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool = true,
                generator: inout SeededGenerator) {
        self.inputFields = inputFields
        super.init(expansion: FilterExpansion(group: group, kind: .group,
                                              outputFields: outputFields,
                                              inputFields: inputFields, kernelSize: kernelSize),
                   stride: stride, padding: padding, useBias: bias,
                   fanIn: inputFields * group.order * kernelSize * kernelSize,
                   generator: &generator)
    }

    /// (N, Cin, |G|, H, W) → (N, Cout, |G|, Ho, Wo).
    public override func forward(_ input: Variable) -> Variable {
        let s = input.shape
        precondition(s.count == 5 && s[1] == inputFields && s[2] == group.order,
                     "GroupConvolution input must be (N, \(inputFields), \(group.order), H, W), "
                     + "got \(s)")
        return convolve(TapeOperations.reshape(input, [s[0], s[1] * s[2], s[3], s[4]]))
    }
}
