import NeuralNet
import TensorCore

/// The expanded filter bank of one convolution layer, kept between calls in evaluation mode.
///
/// Training builds the bank from the base weights at every call (the weights move each step).
/// Evaluation builds it once and reuses it while the weight tensor is unchanged: the cache keeps
/// a copy of the weight tensor it was built from (sharing storage, so the check is a buffer
/// identity test), which catches direct writes to `weight.value`; `Module.load`, optimiser
/// steps and mode switches also drop it through `parametersOrModeDidChange`.
final class FilterBankCache {
    private var weightSnapshot: Tensor?
    private var bank: Tensor?

    /// The bank for `weight`, rebuilt by `expand` unless a cached one matches.
    func bank(for weight: Tensor, useCache: Bool, expand: (Tensor) -> Tensor) -> Tensor {
        if useCache, let bank, let weightSnapshot, weightSnapshot == weight { return bank }
        let fresh = expand(weight)
        if useCache {
            bank = fresh
            weightSnapshot = weight
        } else {
            invalidate()
        }
        return fresh
    }

    /// Forgets the cached bank.
    func invalidate() {
        bank = nil
        weightSnapshot = nil
    }

    /// Whether a bank is cached (for tests).
    var isFilled: Bool { bank != nil }
}

/// He (Kaiming) normal initialisation for filters with `fanIn` inputs per output: std √(2/fanIn).
func heNormal(_ shape: [Int], fanIn: Int, generator: inout SeededGenerator) -> Tensor {
    Tensor.gaussian(shape: shape, std: (2 / Float(fanIn)).squareRoot(), generator: &generator)
}

/// The part that lifting and group convolutions share: base weights, filter expansion as a
/// tape operation, the evaluation cache, and one Conv2D over the (N, Cin·|G| or Cin, H, W) view.
public class EquivariantConvolution: Module {
    /// The symmetry group.
    public let group: Group
    /// Output fields (each is |G| channels of the output).
    public let outputFields: Int
    /// Filter extent k.
    public let kernelSize: Int
    /// Spatial stride (exact only when (H + 2·padding − k) is a multiple of it).
    public let stride: Int
    /// Zero padding on every side (symmetric, so rotations of the input keep their centre).
    public let padding: Int
    /// Base filters; see `FilterExpansion.baseShape`.
    public let weight: Variable
    /// One bias per output field (Cout), shared by its |G| poses; nil without bias.
    public let bias: Variable?
    /// Bank layout and the T_g transforms.
    public let expansion: FilterExpansion
    private let _bankCache = FilterBankCache()
    let _foldedCache = FoldedBankCache()

    init(expansion: FilterExpansion, stride: Int, padding: Int, useBias: Bool, fanIn: Int,
         generator: inout SeededGenerator) {
        precondition(stride >= 1 && padding >= 0,
                     "stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
        group = expansion.group
        outputFields = expansion.outputFields
        kernelSize = expansion.kernelSize
        self.stride = stride
        self.padding = padding
        self.expansion = expansion
        weight = Variable(heNormal(expansion.baseShape, fanIn: fanIn, generator: &generator),
                          requiresGrad: true)
        bias = useBias ? Variable(Tensor(zeros: [expansion.outputFields]), requiresGrad: true)
            : nil
        super.init()
    }

    /// The expanded bank (Cout·|G|, Cin or Cin·|G|, k, k) as a tape node whose backward
    /// scatters the bank gradient onto `weight` (`FilterExpansion.baseGradient`). Cached in
    /// evaluation mode.
    public func filterBank() -> Variable {
        let expansion = self.expansion
        let bank = _bankCache.bank(for: weight.value, useCache: !isTraining,
                                   expand: expansion.expand)
        return Variable.record(bank, parents: [weight]) { gradient in
            [expansion.baseGradient(bankGradient: gradient)]
        }
    }

    /// Whether an expanded bank is cached now (evaluation mode after a first call).
    public var hasCachedFilterBank: Bool { _bankCache.isFilled }

    /// Drops the cached bank (weights loaded or stepped, or the mode switched).
    open override func parametersOrModeDidChange() {
        _bankCache.invalidate()
        _foldedCache.invalidate()
    }

    /// Spatial output extent for an input extent.
    public func outputExtent(_ extent: Int) -> Int {
        (extent + 2 * padding - kernelSize) / stride + 1
    }

    /// 2 × the multiply-adds of one forward pass over a batch of `batch` maps of
    /// `height` × `width`: 2·N·(Cout·|G|)·(Cin or Cin·|G|)·k²·Ho·Wo (the one Conv2D it runs).
    public func flops(batch: Int, height: Int, width: Int) -> Double {
        let bank = expansion.bankShape
        return 2 * Double(batch) * Double(bank.reduce(1, *))
            * Double(outputExtent(height) * outputExtent(width))
    }

    /// Whether an input extent keeps the layer exactly equivariant under 90° rotations: the
    /// sliding windows must tile the padded input from edge to edge.
    public func isExact(inputExtent extent: Int) -> Bool {
        extent + 2 * padding >= kernelSize && (extent + 2 * padding - kernelSize) % stride == 0
    }

    /// Conv2D of a (N, C, H, W) view with the bank, then the (N, Cout, |G|, Ho, Wo) view.
    func convolve(_ view: Variable) -> Variable {
        let expandedBias = bias.map { TapeOperations.repeatPerPose($0, order: group.order) }
        let output = TapeOperations.convolution(view, bank: filterBank(), bias: expandedBias,
                                                stride: stride, padding: padding)
        let shape = output.shape  // (N, Cout·G, Ho, Wo)
        return TapeOperations.reshape(output, [shape[0], outputFields, group.order,
                                               shape[2], shape[3]])
    }
}

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
