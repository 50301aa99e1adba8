import NeuralNet
import TensorCore

/// Everything needed to rebuild an `EquivariantUNet` (weights aside).
public struct EquivariantUNetConfiguration: Codable, Equatable, Sendable {
    /// What `segment` does with an input whose extent is not a multiple of
    /// `requiredInputMultiple`.
    public enum InputSizePolicy: String, Codable, Sendable {
        /// Throw an error that names the size and the multiple.
        case refuse
        /// Zero-pad to the next multiple (evenly on both sides when the difference is even,
        /// which keeps exactness; the extra pixel goes bottom/right otherwise) and crop back.
        case pad
    }

    /// C4 or D4 (exact); other groups are approximate.
    public var group: Group
    /// Image channels.
    public var inputChannels: Int
    /// Output classes (per-pixel logits).
    public var classes: Int
    /// Fields per resolution level, finest first; the map halves between levels.
    public var fieldsPerLevel: [Int]
    /// Convolutions per block (each followed by group batch norm and ReLU).
    public var convolutionsPerBlock: Int
    /// Odd filter extent; padding (k − 1)/2 keeps the extent.
    public var kernelSize: Int
    /// Decoder upsampling rule (both exact for factor 2).
    public var upsampling: SpatialUpsampling.Kind
    /// How the class fields are pooled over the group axis into logits.
    public var logitPooling: GroupPooling.Kind
    /// Input extents that are not multiples of `requiredInputMultiple`.
    public var inputSizePolicy: InputSizePolicy
    /// Seed of the initial weights.
    public var seed: UInt64

    /// A configuration; defaults give a C4 U-Net with 8/16/32 fields.
    public init(group: Group = .c4, inputChannels: Int = 1, classes: Int = 2,
                fieldsPerLevel: [Int] = [8, 16, 32], convolutionsPerBlock: Int = 2,
                kernelSize: Int = 3, upsampling: SpatialUpsampling.Kind = .nearest,
                logitPooling: GroupPooling.Kind = .mean, inputSizePolicy: InputSizePolicy = .refuse,
                seed: UInt64 = 0) {
        self.group = group
        self.inputChannels = inputChannels
        self.classes = classes
        self.fieldsPerLevel = fieldsPerLevel
        self.convolutionsPerBlock = convolutionsPerBlock
        self.kernelSize = kernelSize
        self.upsampling = upsampling
        self.logitPooling = logitPooling
        self.inputSizePolicy = inputSizePolicy
        self.seed = seed
    }

    /// H and W must be multiples of this (2^(levels − 1)) for the pools to tile every map.
    public var requiredInputMultiple: Int { 1 << max(fieldsPerLevel.count - 1, 0) }

    /// Checks the numbers; throws naming the first bad one.
    public func validate() throws {
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw EquivarianceError("EquivariantUNet configuration: " + message) }
        }
        try require(inputChannels >= 1, "inputChannels \(inputChannels) must be ≥ 1")
        try require(classes >= 1, "classes \(classes) must be ≥ 1")
        try require(!fieldsPerLevel.isEmpty && fieldsPerLevel.allSatisfy { $0 >= 1 },
                    "fieldsPerLevel \(fieldsPerLevel) must be a non-empty list of positive counts")
        try require(convolutionsPerBlock >= 1,
                    "convolutionsPerBlock \(convolutionsPerBlock) must be ≥ 1")
        try require(kernelSize >= 1 && kernelSize % 2 == 1,
                    "kernelSize \(kernelSize) must be odd (symmetric padding keeps the centre)")
    }
}

/// Convolutions, each followed by group batch norm and ReLU: one resolution level of the U-Net.
/// Shapes: (N, Cin, |G|, H, W) — or an image (N, Cin, H, W) when it starts with a lifting
/// convolution — → (N, Cout, |G|, H, W).
public final class EquivariantBlock: Module {
    /// The convolutions (the first may be a `LiftingConvolution`).
    public let convolutions: [EquivariantConvolution]
    /// One group batch norm per convolution.
    public let norms: [GroupBatchNorm]
    let activation = PointwiseNonlinearity(.relu)

    /// A block of `count` k × k convolutions with padding (k − 1)/2.
    init(group: Group, inputFields: Int, outputFields: Int, count: Int, kernelSize: Int,
         lifting: Bool, generator: inout SeededGenerator) {
        var convolutions: [EquivariantConvolution] = []
        for index in 0..<count {
            let inFields = index == 0 ? inputFields : outputFields
            if index == 0 && lifting {
                convolutions.append(LiftingConvolution(
                    group: group, inputChannels: inFields, outputFields: outputFields,
                    kernelSize: kernelSize, padding: kernelSize / 2, bias: false,
                    generator: &generator))
            } else {
                convolutions.append(GroupConvolution(
                    group: group, inputFields: inFields, outputFields: outputFields,
                    kernelSize: kernelSize, padding: kernelSize / 2, bias: false,
                    generator: &generator))
            }
        }
        self.convolutions = convolutions
        norms = (0..<count).map { _ in GroupBatchNorm(fields: outputFields) }
        super.init()
    }

    /// conv → norm → ReLU, `count` times.
    public override func forward(_ input: Variable) -> Variable {
        if !GradientTape.isRecording {
            var layers: [Module] = []
            for (conv, norm) in zip(convolutions, norms) { layers += [conv, norm, activation] }
            return Variable(runFusedInference(layers, input.value))
        }
        var x = input
        for (conv, norm) in zip(convolutions, norms) { x = activation(norm(conv(x))) }
        return x
    }
}

/// A rotation-equivariant U-Net segmenter (Ronneberger et al. 2015 with group convolutions):
/// a lifting block, encoder blocks separated by 2×2 max pooling, decoder blocks after 2×
/// upsampling and concatenation with the encoder map of the same level (the skip connection),
/// a 1×1 group convolution to one field per class, and pooling over the group axis.
///
/// Shapes: images (N, Cin, H, W) → logits (N, classes, H, W), H and W multiples of
/// `requiredInputMultiple`. Because the class fields are pooled over the group, the logits turn
/// with the input: f(T_g x) = T_g f(x) exactly for C4/D4 — the predicted mask turns with the
/// scan.
public final class EquivariantUNet: Module {
    /// The configuration the network was built from.
    public let configuration: EquivariantUNetConfiguration
    /// One block per level, finest first (the first starts with the lifting convolution).
    public let encoder: [EquivariantBlock]
    /// One block per level below the coarsest, coarsest first.
    public let decoder: [EquivariantBlock]
    /// 1×1 group convolution to `classes` fields (with bias).
    public let head: GroupConvolution
    let downsample = SpatialPooling(.max, size: 2)
    let upsample: SpatialUpsampling
    let logitPool: GroupPooling
    /// Activation buffers of the channels-last inference passes, kept from one pass to the
    /// next (`BufferPool`; at most what one pass at the largest input size used).
    let inferenceBuffers = BufferPool()

    /// A network with fresh weights drawn from `configuration.seed`.
    public required init(configuration: EquivariantUNetConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        let c = configuration
        var rng = SeededGenerator(seed: c.seed)
        let fields = c.fieldsPerLevel
        var encoder: [EquivariantBlock] = []
        for (level, count) in fields.enumerated() {
            encoder.append(EquivariantBlock(
                group: c.group, inputFields: level == 0 ? c.inputChannels : fields[level - 1],
                outputFields: count, count: c.convolutionsPerBlock, kernelSize: c.kernelSize,
                lifting: level == 0, generator: &rng))
        }
        var decoder: [EquivariantBlock] = []
        for level in stride(from: fields.count - 2, through: 0, by: -1) {
            decoder.append(EquivariantBlock(
                group: c.group, inputFields: fields[level] + fields[level + 1],
                outputFields: fields[level], count: c.convolutionsPerBlock,
                kernelSize: c.kernelSize, lifting: false, generator: &rng))
        }
        self.encoder = encoder
        self.decoder = decoder
        head = GroupConvolution(group: c.group, inputFields: fields[0], outputFields: c.classes,
                                kernelSize: 1, generator: &rng)
        upsample = SpatialUpsampling(c.upsampling, factor: 2)
        logitPool = GroupPooling(c.logitPooling)
        super.init()
    }

    /// H and W must be multiples of this for exact equivariance (2^(levels − 1)).
    public var requiredInputMultiple: Int { configuration.requiredInputMultiple }

    /// Floating-point operations (2 × multiply-adds) of the convolutions of one forward pass.
    public func flops(batch: Int, height: Int, width: Int) -> Double {
        var total: Double = 0
        for (level, block) in encoder.enumerated() {
            for conv in block.convolutions {
                total += conv.flops(batch: batch, height: height >> level, width: width >> level)
            }
        }
        for (index, block) in decoder.enumerated() {
            let level = decoder.count - 1 - index
            for conv in block.convolutions {
                total += conv.flops(batch: batch, height: height >> level, width: width >> level)
            }
        }
        return total + head.flops(batch: batch, height: height, width: width)
    }

    /// Throws unless (height, width) are positive multiples of `requiredInputMultiple`.
    public func checkInput(height: Int, width: Int) throws {
        let m = requiredInputMultiple
        guard height > 0, width > 0, height % m == 0, width % m == 0 else {
            throw EquivarianceError(
                "input of \(height)×\(width) pixels does not fit the equivariant U-Net: height "
                + "and width must be positive multiples of \(m) "
                + "(\(configuration.fieldsPerLevel.count) "
                + "levels, 2×2 pooling between them); pad or crop the image, or set "
                + "inputSizePolicy to pad")
        }
    }

    /// (N, Cin, H, W) → logits (N, classes, H, W); H, W multiples of `requiredInputMultiple`
    /// (a pool that does not tile its map stops with a precondition failure).
    public override func forward(_ input: Variable) -> Variable {
        precondition(input.shape.count == 4 && input.shape[1] == configuration.inputChannels,
                     "EquivariantUNet input must be (N, \(configuration.inputChannels), H, W), got "
                     + "\(input.shape)")
        let batch = input.shape[0]
        if !isTraining && !GradientTape.isRecording && batch > 1 {
            // Inference one image at a time: evaluation mode makes images independent, and
            // the activations of one 256² image are a fraction of a batch's. The convolutions
            // split large images into bands, so one image still uses every worker.
            let images = input.value.split(axis: 0, sizes: [Int](repeating: 1, count: batch))
            return Variable(Tensor.concatenate(images.map { forward(Variable($0)).value },
                                               axis: 0))
        }
        if !GradientTape.isRecording, let logits = channelsLastForward(input.value) {
            return Variable(logits)
        }
        var x = input
        var skips: [Variable] = []
        for (level, block) in encoder.enumerated() {
            if level > 0 { x = downsample(x) }
            x = block(x)  // (N, fields[level], G, H/2^level, W/2^level)
            if level < encoder.count - 1 { skips.append(x) }
        }
        for block in decoder {
            guard let skip = skips.popLast() else { break }
            x = block(TapeOperations.concatenateFields([skip, upsample(x)]))
        }
        if !GradientTape.isRecording && !head.isTraining {
            return logitPool(Variable(head.inferenceForward(x.value, norm: nil, relu: false)))
        }
        return logitPool(head(x))  // (N, classes, H, W)
    }

    /// Per-pixel logits (N, classes, H, W) for images (N, Cin, H, W), without recording
    /// gradients. Sizes that are not multiples of `requiredInputMultiple` are refused or padded
    /// according to `configuration.inputSizePolicy`.
    public func segment(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4, images.shape[1] == configuration.inputChannels else {
            throw EquivarianceError(
                "EquivariantUNet input must be (N, \(configuration.inputChannels), H, W), got "
                + "\(images.shape)")
        }
        let h = images.shape[2], w = images.shape[3]
        let fits = (try? checkInput(height: h, width: w)) != nil
        if configuration.inputSizePolicy == .refuse || fits {
            try checkInput(height: h, width: w)
            return GradientTape.withoutRecording { forward(Variable(images)).value }
        }
        let m = requiredInputMultiple
        let paddedH = (h + m - 1) / m * m, paddedW = (w + m - 1) / m * m
        let top = (paddedH - h) / 2, left = (paddedW - w) / 2
        let padded = EquivariantUNet.pad(images, height: paddedH, width: paddedW, top: top,
                                         left: left)
        let logits = GradientTape.withoutRecording { forward(Variable(padded)).value }
        return EquivariantUNet.crop(logits, top: top, left: left, height: h, width: w)
    }

    /// Zero-pads the planes of (N, C, H, W) into (N, C, height, width) at (top, left).
    static func pad(_ x: Tensor, height: Int, width: Int, top: Int, left: Int) -> Tensor {
        let s = x.shape
        var out = [Float](repeating: 0, count: s[0] * s[1] * height * width)
        for plane in 0..<(s[0] * s[1]) {
            for y in 0..<s[2] {
                for xx in 0..<s[3] {
                    out[(plane * height + y + top) * width + xx + left] =
                        x.storage[(plane * s[2] + y) * s[3] + xx]
                }
            }
        }
        return Tensor(shape: [s[0], s[1], height, width], storage: out)
    }

    /// The (height, width) window at (top, left) of every plane of (N, C, H, W).
    static func crop(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
        let s = x.shape
        var out = [Float](repeating: 0, count: s[0] * s[1] * height * width)
        for plane in 0..<(s[0] * s[1]) {
            for y in 0..<height {
                for xx in 0..<width {
                    out[(plane * height + y) * width + xx] =
                        x.storage[(plane * s[2] + y + top) * s[3] + xx + left]
                }
            }
        }
        return Tensor(shape: [s[0], s[1], height, width], storage: out)
    }
}
