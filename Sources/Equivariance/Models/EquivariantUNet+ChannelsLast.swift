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
    /// layer. (N, Cin, H, W) → logits (N, classes, H, W).
    func channelsLastForward(_ images: Tensor) -> Tensor? {
        guard ConvolutionEngine.selected == .onednn, upsample.kind == .nearest,
              !head.isTraining,
              (encoder + decoder).allSatisfy({ $0.isReadyForInference }) else { return nil }
        do {
            var x = ChannelsLastKernels.fromPlanes(images)  // (N, H, W, Cin)
            var skips: [Tensor] = []
            for (level, block) in encoder.enumerated() {
                if level > 0 { x = ChannelsLastKernels.maxPool2x2(x) }
                x = try block.channelsLastForward(x)  // (N, H/2^level, W/2^level, fields·G)
                if level < encoder.count - 1 { skips.append(x) }
            }
            for block in decoder {
                guard let skip = skips.popLast() else { break }
                x = try block.channelsLastForward(ChannelsLastKernels.concatenateUpsampled(
                    skip: skip, coarse: x, factor: upsample.factor))
            }
            guard let conv = head.folded(norm: nil, relu: false, engine: .onednn).oneDNN else {
                return nil
            }
            let logits = try conv.forwardChannelsLast(x, stride: head.stride,
                                                      padding: head.padding)
            return GroupPooling.poolChannelsLast(logits, order: configuration.group.order,
                                                 kind: logitPool.kind)
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

    /// conv → norm → ReLU, `count` times, on channels-last maps (N, H, W, C) through oneDNN
    /// with the norm folded and the ReLU fused. Throws when oneDNN refuses a layer.
    func channelsLastForward(_ input: Tensor) throws -> Tensor {
        var x = input
        for (conv, norm) in zip(convolutions, norms) {
            guard let oneDNN = conv.folded(norm: norm, relu: true, engine: .onednn).oneDNN else {
                throw EquivarianceError("oneDNN refused a convolution of the U-Net block")
            }
            x = try oneDNN.forwardChannelsLast(x, stride: conv.stride, padding: conv.padding)
        }
        return x
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
