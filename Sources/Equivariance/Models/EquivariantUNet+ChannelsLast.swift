import NeuralNet
import TensorCore

extension EquivariantUNet {
    /// Inference with every map kept channels-last, (N, H, W, C), from the lifting layer to the
    /// head: the layout oneDNN's direct convolutions compute in, so no convolution reorders its
    /// input or output, and pooling, upsampling and the skip concatenation run on the same
    /// layout (`ChannelsLastKernels`; upsampling and concatenation in one pass). The layout
    /// changes only at the input and, through the group pooling of the logits, at the output.
    /// The samples are those of the (N, C, H, W) path on the same engine: the same sums, in
    /// another memory order.
    ///
    /// Returns nil, and the caller takes the ordinary path, unless the oneDNN engine runs,
    /// every layer is in evaluation mode, upsampling is nearest, and oneDNN accepts every
    /// layer. (N, Cin, H, W) → logits (N, classes, H, W). Activations come from and go back to
    /// `inferenceBuffers`, so repeated passes at one input size allocate nothing but the logits.
    func channelsLastForward(_ images: Tensor) -> Tensor? {
        guard ConvolutionEngine.selected == .onednn, upsample.kind == .nearest,
              !head.isTraining,
              (encoder + decoder).allSatisfy({ $0.isReadyForInference }) else { return nil }
        let pool = inferenceBuffers
        pool.startPass(shape: images.shape)
        // x is the current map; `owned` says whether its buffer is this pass's alone (not the
        // caller's image, not a skip), so that it goes back to the pool once replaced.
        var x = ChannelsLastKernels.fromPlanes(images, pool: pool)  // (N, H, W, Cin)
        var owned = images.shape[1] > 1  // one channel: a view of the caller's image
        func replace(with next: Tensor) {
            let old = x.storage
            x = next
            if owned { pool.recycle(consume old) }
            owned = true
        }
        func convolve(_ conv: EquivariantConvolution, _ norm: GroupBatchNorm?,
                      relu: Bool) throws {
            guard let oneDNN = conv.folded(norm: norm, relu: relu, engine: .onednn).oneDNN else {
                throw EquivarianceError("oneDNN refused a convolution of the U-Net")
            }
            replace(with: try oneDNN.forwardChannelsLast(x, stride: conv.stride,
                                                         padding: conv.padding, pool: pool))
        }
        do {
            var skips: [Tensor] = []
            for (level, block) in encoder.enumerated() {
                if level > 0 { replace(with: ChannelsLastKernels.maxPool2x2(x, pool: pool)) }
                for (conv, norm) in zip(block.convolutions, block.norms) {
                    try convolve(conv, norm, relu: true)
                }
                // (N, H/2^level, W/2^level, fields·G)
                if level < encoder.count - 1 {
                    skips.append(x)
                    owned = false
                }
            }
            for block in decoder {
                guard let skip = skips.popLast() else { break }
                replace(with: ChannelsLastKernels.concatenateUpsampled(
                    skip: skip, coarse: x, factor: upsample.factor, pool: pool))
                pool.recycle((consume skip).storage)
                for (conv, norm) in zip(block.convolutions, block.norms) {
                    try convolve(conv, norm, relu: true)
                }
            }
            try convolve(head, nil, relu: false)  // (N, H, W, classes·G)
            let logits = GroupPooling.poolChannelsLast(x, order: configuration.group.order,
                                                       kind: logitPool.kind)
            replace(with: Tensor(shape: [0], storage: []))  // the class fields' buffer back
            return logits
        } catch {
            return nil
        }
    }
}

extension EquivariantBlock {
    /// Whether every convolution and norm is in evaluation mode (their folded form applies).
    var isReadyForInference: Bool {
        !convolutions.contains { $0.isTraining } && !norms.contains { $0.isTraining }
    }
}

extension GroupPooling {
    /// Group pooling of channels-last class fields: (N, H, W, C·|G|), channel c·|G| + g, →
    /// (N, C, H, W), with `poolForward`'s rule (max keeps the first of equal values and the
    /// order of the poses; mean sums in pose order, then scales by 1/|G|).
    static func poolChannelsLast(_ x: Tensor, order: Int, kind: Kind) -> Tensor {
        precondition(x.rank == 4 && order >= 1 && x.shape[3] % order == 0,
                     "poolChannelsLast input must be (N, H, W, C·\(order)), got \(x.shape)")
        let (n, h, w) = (x.shape[0], x.shape[1], x.shape[2])
        let fields = x.shape[3] / order, plane = h * w
        let total = n * fields * plane
        let output = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            x.storage.withUnsafeBufferPointer { source in
                guard let xp = source.baseAddress, let yp = buffer.baseAddress else { return }
                // Each chunk writes only the pixels of its own range, in every field.
                let (xs, ys) = (RegionPointer(xp), RegionPointer(yp))
                let scale = 1 / Float(order)
                ThreadPolicy.parallel(count: n * plane, minimumPerChunk: 4_096) { _, pixels in
                    for pixel in pixels {
                        let (image, p) = (pixel / plane, pixel % plane)
                        let values = xs.pointer + pixel * fields * order
                        for field in 0..<fields {
                            let poses = values + field * order
                            var result = poses[0]
                            for g in 1..<max(order, 1) {
                                switch kind {
                                case .max: if poses[g] > result { result = poses[g] }
                                case .mean: result += poses[g]
                                }
                            }
                            if kind == .mean { result *= scale }
                            ys.pointer[(image * fields + field) * plane + p] = result
                        }
                    }
                }
            }
            initialized = total
        }
        return Tensor(shape: [n, fields, h, w], storage: output)
    }
}
