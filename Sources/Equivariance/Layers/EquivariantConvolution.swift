import NeuralNet
import TensorCore

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
