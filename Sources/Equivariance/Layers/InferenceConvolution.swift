import NeuralNet
import Synchronization
import TensorCore

/// The deployed form of a convolution block for inference: the expanded bank with the
/// following group batch norm folded in, one Conv2D (over horizontal strips when its workspace
/// would grow with the image), and ReLU in place.
///
/// Folding (evaluation mode only, where batch norm is affine): with s_o = γ_o / √(v_o + ε),
/// `BN(conv(x; W, b))_o = conv(x; s_o·W_o, s_o·(b_o − μ_o) + β_o)`, so the block costs one
/// Conv2D and one in-place pass. Strips: a stride-1 convolution of an (N, C, H, W) map is split
/// into S row bands per image, each cut out with its k − 1 halo rows and explicit zero padding,
/// and the N·S bands run as one batch. That bounds the im2col buffer of every worker
/// (K × band pixels instead of K × H·W) and lets a single large image use every worker; the
/// samples computed are the same sums as one whole-image Conv2D. With the oneDNN engine
/// (`ConvolutionEngine`), the folded bank goes to one `OneDNNConvolution` per layer instead,
/// which fuses the ReLU and splits small batches into row bands itself, in place.
enum InferenceConvolution {
    /// Upper bound on one worker's im2col buffer, in samples (16 MiB).
    static let columnBudget = 4 << 20

    /// conv2d(x, bank, bias) with stride 1 and symmetric `padding`, computed over row bands
    /// when the image is large or the batch is smaller than the worker count.
    /// x (N, C, H, W), bank (Cout, C, k, k), bias (Cout) → (N, Cout, Ho, Wo).
    static func convolve(_ x: Tensor, bank: Tensor, bias: Tensor?, padding: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (bank.shape[0], bank.shape[2])
        let ho = h + 2 * padding - k + 1, wo = w + 2 * padding - k + 1
        let patch = c * k * k
        let geometry = Conv2DKernels.Geometry(inputShape: x.shape, weightShape: bank.shape,
                                              stride: 1, padding: padding)
        // Winograd already splits its tile blocks over the workers within a bounded workspace.
        if Conv2DKernels.hasBoundedWorkspace(geometry) {
            return Conv2DKernels.forward(input: x, weight: bank, bias: bias, padding: padding)
        }
        let workers = ThreadPolicy.workerCount
        // A constant, so the parallel chunks below may capture it.
        let budgetBands = max(1, (patch * ho * wo + columnBudget - 1) / columnBudget)
        let bands = min(n * budgetBands < workers ? (workers + n - 1) / n : budgetBands, ho)
        guard bands > 1 else {
            return Conv2DKernels.forward(input: x, weight: bank, bias: bias, padding: padding)
        }
        let rows = (ho + bands - 1) / bands  // output rows per band (the last may be short)
        let bandHeight = rows + k - 1, bandWidth = w + 2 * padding
        // (N·S, C, rows + k − 1, W + 2p): every band with its halo, zero outside the image.
        var banded = [Float](repeating: 0, count: n * bands * c * bandHeight * bandWidth)
        x.storage.withUnsafeBufferPointer { source in
            banded.withUnsafeMutableBufferPointer { destination in
                // Each chunk writes only the bands of its own range.
                let (sources, destinations) = (RegionPointer(source), RegionPointer(destination))
                ThreadPolicy.parallel(count: n * bands) { _, range in
                    let (source, destination) = (sources.pointer, destinations.pointer)
                    for nb in range {
                        let image = nb / bands, band = nb % bands
                        for channel in 0..<c {
                            let from = (image * c + channel) * h * w
                            let to = (nb * c + channel) * bandHeight * bandWidth
                            for row in 0..<bandHeight {
                                let y = band * rows + row - padding  // row in the image
                                guard y >= 0, y < h else { continue }
                                let dst = to + row * bandWidth + padding
                                let src = from + y * w
                                for col in 0..<w { destination[dst + col] = source[src + col] }
                            }
                        }
                    }
                }
            }
        }
        let bandInput = Tensor(shape: [n * bands, c, bandHeight, bandWidth], storage: banded)
        let bandOutput = Conv2DKernels.forward(input: bandInput, weight: bank, bias: bias,
                                               padding: 0)
        // (N·S, Cout, rows, Wo) → (N, Cout, Ho, Wo), dropping the rows past Ho.
        var output = [Float](repeating: 0, count: n * cout * ho * wo)
        bandOutput.storage.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                // Each chunk writes only the output rows of the bands of its own range.
                let (sources, destinations) = (RegionPointer(source), RegionPointer(destination))
                ThreadPolicy.parallel(count: n * bands) { _, range in
                    let (source, destination) = (sources.pointer, destinations.pointer)
                    for nb in range {
                        let image = nb / bands, band = nb % bands
                        let first = band * rows, count = min(rows, ho - first)
                        guard count > 0 else { continue }
                        for o in 0..<cout {
                            let src = (nb * cout + o) * rows * wo
                            let dst = ((image * cout + o) * ho + first) * wo
                            for i in 0..<(count * wo) { destination[dst + i] = source[src + i] }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, cout, ho, wo], storage: output)
    }

    /// max(x, 0) in place.
    static func reluInPlace(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in 0..<values.count where values[i] < 0 { values[i] = 0 }
        }
    }
}

/// A convolution ready for inference: the folded bank and bias, and the oneDNN convolution
/// built on them when that engine runs.
struct FoldedConvolution {
    /// (Cout·G, Cin·G or Cin, k, k) with the batch norm folded in.
    var bank: Tensor
    /// (Cout·G).
    var bias: Tensor
    /// Set when the engine is oneDNN and oneDNN accepted the layer.
    var oneDNN: OneDNNConvolution?
}

/// The folded convolution of one layer (with its batch norm), cached while none of the tensors
/// it was built from changes and the engine and the fused ReLU stay the same.
///
/// Safe to use from several threads at once, like `FilterBankCache`: a `Mutex` guards the
/// entry and `build` runs outside the lock.
final class FoldedBankCache: Sendable {
    /// What an entry was built from: the tensors, the engine and whether ReLU is fused.
    private struct Key: Equatable {
        var sources: [Tensor]
        var engine: ConvolutionEngine
        var relu: Bool
    }

    private let entry = Mutex<(key: Key, folded: FoldedConvolution)?>(nil)

    func value(sources current: [Tensor], engine: ConvolutionEngine, relu: Bool,
               build: () -> FoldedConvolution) -> FoldedConvolution {
        let key = Key(sources: current, engine: engine, relu: relu)
        let cached: FoldedConvolution? = entry.withLock { entry in
            guard let entry, entry.key == key else { return nil }
            return entry.folded
        }
        if let cached { return cached }
        let fresh = build()
        entry.withLock { $0 = (key, fresh) }
        return fresh
    }

    func invalidate() {
        entry.withLock { $0 = nil }
    }

    /// Whether the cached entry holds a oneDNN convolution (for tests).
    var hasOneDNNConvolution: Bool { entry.withLock { $0?.folded.oneDNN != nil } }
}

extension EquivariantConvolution {
    /// Inference without the tape: conv (with `norm` folded in when given), then ReLU when
    /// `relu`, on `ConvolutionEngine.selected`: oneDNN with the ReLU fused, or the reference
    /// kernels (also where oneDNN refuses a layer). Requires evaluation mode of this layer and
    /// of `norm`.
    /// Input (N, C or C·|G| channels as for `forward`) → (N, Cout, |G|, Ho, Wo).
    func inferenceForward(_ input: Tensor, norm: GroupBatchNorm?, relu: Bool) -> Tensor {
        let order = group.order
        let view: Tensor
        if input.rank == 5 {
            let s = input.shape
            view = input.reshaped([s[0], s[1] * s[2], s[3], s[4]])
        } else {
            view = input
        }
        let engine = ConvolutionEngine.selected
        let folded = folded(norm: norm, relu: relu, engine: engine)
        let (bank, foldedBias) = (folded.bank, folded.bias)
        var output: Tensor
        var reluApplied = false
        // A layer oneDNN refuses runs on the reference kernels.
        if let oneDNN = folded.oneDNN,
           let fused = try? oneDNN.forward(view, stride: stride, padding: padding) {
            output = fused
            reluApplied = relu  // fused as a post-op
        } else if stride == 1 {
            output = InferenceConvolution.convolve(view, bank: bank, bias: foldedBias,
                                                   padding: padding)
        } else {
            output = Conv2DKernels.forward(input: view, weight: bank, bias: foldedBias,
                                           stride: stride, padding: padding)
        }
        if relu && !reluApplied { InferenceConvolution.reluInPlace(&output) }
        let s = output.shape  // (N, Cout·G, Ho, Wo)
        return output.reshaped([s[0], outputFields, order, s[2], s[3]])
    }

    /// The bank and bias of this layer with `norm` folded in (and the oneDNN convolution on
    /// them, with `relu` fused, when `engine` is oneDNN and oneDNN accepts the layer), built
    /// once and cached while the weights, the engine and `relu` stay the same. Requires
    /// evaluation mode of this layer and of `norm`.
    func folded(norm: GroupBatchNorm?, relu: Bool, engine: ConvolutionEngine)
        -> FoldedConvolution {
        precondition(!isTraining && !(norm?.isTraining ?? false),
                     "the folded inference path needs evaluation mode")
        let order = group.order
        var sources = [weight.value]
        if let bias { sources.append(bias.value) }
        if let norm {
            sources += [norm.gamma.value, norm.beta.value, norm.runningMean.value,
                        norm.runningVariance.value]
        }
        return _foldedCache.value(sources: sources, engine: engine, relu: relu) {
            var bank = expansion.expand(weight.value)  // (Cout·G, ·, k, k)
            var shift = [Float](repeating: 0, count: outputFields)  // per field
            var scale = [Float](repeating: 1, count: outputFields)
            for o in 0..<outputFields {
                let b = bias?.value.storage[o] ?? 0
                if let norm {
                    scale[o] = norm.gamma.value.storage[o]
                        / (norm.runningVariance.value.storage[o] + norm.epsilon).squareRoot()
                    shift[o] = scale[o] * (b - norm.runningMean.value.storage[o])
                        + norm.beta.value.storage[o]
                } else {
                    shift[o] = b
                }
            }
            let perField = bank.count / outputFields
            bank.storage.withUnsafeMutableBufferPointer { values in
                for o in 0..<outputFields where scale[o] != 1 {
                    for i in (o * perField)..<((o + 1) * perField) { values[i] *= scale[o] }
                }
            }
            var expandedBias = [Float](repeating: 0, count: outputFields * order)  // (Cout·G)
            for o in 0..<outputFields {
                for g in 0..<order { expandedBias[o * order + g] = shift[o] }
            }
            let foldedBias = Tensor(shape: [outputFields * order], storage: expandedBias)
            let oneDNN = engine == .onednn
                ? try? OneDNNConvolution(weight: bank, bias: foldedBias, relu: relu)
                : nil
            return FoldedConvolution(bank: bank, bias: foldedBias, oneDNN: oneDNN)
        }
    }
}

/// Runs a list of layers without the tape, fusing every convolution with the group batch norm
/// and ReLU that follow it (see `EquivariantConvolution.inferenceForward`). Layers in training
/// mode, and anything that is not such a run, go through their ordinary `forward`.
func runFusedInference(_ layers: [Module], _ input: Tensor) -> Tensor {
    var x = input
    var index = 0
    while index < layers.count {
        if let conv = layers[index] as? EquivariantConvolution, !conv.isTraining {
            var consumed = 1
            var norm: GroupBatchNorm?
            if index + 1 < layers.count, let next = layers[index + 1] as? GroupBatchNorm,
               !next.isTraining {
                norm = next
                consumed += 1
            }
            var relu = false
            if index + consumed < layers.count,
               let next = layers[index + consumed] as? PointwiseNonlinearity,
               next.function == .relu {
                relu = true
                consumed += 1
            }
            x = conv.inferenceForward(x, norm: norm, relu: relu)
            index += consumed
        } else {
            x = layers[index](Variable(x)).value
            index += 1
        }
    }
    return x
}
