import NeuralNet
import TensorCore

/// Everything needed to rebuild a `P4CNN` (weights aside): stored beside its weights so that
/// training, evaluation and pipelines construct the same network.
public struct P4CNNConfiguration: Codable, Equatable, Sendable {
    /// C4 (p4) or D4 (p4m); other groups work but are approximate.
    public var group: Group
    /// Image channels.
    public var inputChannels: Int
    /// Output classes.
    public var classes: Int
    /// Fields (|G| channels each) of every hidden layer.
    public var fields: Int
    /// Group convolutions after the lifting convolution, before the final one.
    public var hiddenGroupConvolutions: Int
    /// Filter extent of the lifting and hidden convolutions.
    public var kernelSize: Int
    /// Symmetric zero padding of the lifting and hidden convolutions.
    public var padding: Int
    /// 1-based layer numbers (the lifting convolution is layer 1) followed by a 2×2 spatial
    /// max pool.
    public var poolAfterLayers: [Int]
    /// Filter extent of the final group convolution (to `classes` fields, no padding).
    public var finalKernelSize: Int
    /// Group batch norm after each hidden layer.
    public var batchNorm: Bool
    /// Dropout probability after each hidden layer (training only).
    public var dropout: Float
    /// Seed of the initial weights.
    public var seed: UInt64

    /// A configuration; defaults are those of the rotated-MNIST P4CNN.
    public init(group: Group = .c4, inputChannels: Int = 1, classes: Int = 10, fields: Int = 10,
                hiddenGroupConvolutions: Int = 5, kernelSize: Int = 3, padding: Int = 0,
                poolAfterLayers: [Int] = [2], finalKernelSize: Int = 4, batchNorm: Bool = true,
                dropout: Float = 0, seed: UInt64 = 0) {
        self.group = group
        self.inputChannels = inputChannels
        self.classes = classes
        self.fields = fields
        self.hiddenGroupConvolutions = hiddenGroupConvolutions
        self.kernelSize = kernelSize
        self.padding = padding
        self.poolAfterLayers = poolAfterLayers
        self.finalKernelSize = finalKernelSize
        self.batchNorm = batchNorm
        self.dropout = dropout
        self.seed = seed
    }

    /// The P4CNN of Cohen & Welling (2016) for rotated MNIST (28 × 28): lifting 1 → 10 fields,
    /// five 3×3 group convolutions 10 → 10 (2×2 max pool after the second layer), a final 4×4
    /// group convolution to 10 class fields, then max pooling over the group and the plane.
    public static func rotatedMNIST(group: Group = .c4) -> P4CNNConfiguration {
        P4CNNConfiguration(group: group)
    }

    /// Checks the numbers; throws naming the first bad one.
    public func validate() throws {
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw EquivarianceError("P4CNN configuration: " + message) }
        }
        try require(inputChannels >= 1, "inputChannels \(inputChannels) must be ≥ 1")
        try require(classes >= 1, "classes \(classes) must be ≥ 1")
        try require(fields >= 1, "fields \(fields) must be ≥ 1")
        try require(hiddenGroupConvolutions >= 0,
                    "hiddenGroupConvolutions \(hiddenGroupConvolutions) must be ≥ 0")
        try require(kernelSize >= 1 && finalKernelSize >= 1,
                    "kernel sizes \(kernelSize), \(finalKernelSize) must be ≥ 1")
        try require(padding >= 0, "padding \(padding) must be ≥ 0")
        try require(poolAfterLayers.allSatisfy { (1...(hiddenGroupConvolutions + 1)) ~= $0 },
                    "poolAfterLayers \(poolAfterLayers) must name layers 1…"
                    + "\(hiddenGroupConvolutions + 1)")
        try require(dropout >= 0 && dropout < 1, "dropout \(dropout) must be in [0, 1)")
    }
}

/// A group-equivariant, rotation-invariant image classifier in the style of Cohen & Welling's
/// P4CNN (2016): a lifting convolution, group convolutions with group batch norm and ReLU,
/// spatial max pooling, a final group convolution to one field per class, and max pooling over
/// the group axis and the plane, so the logits do not change when the input turns (C4) or
/// turns and mirrors (D4).
///
/// Shapes: images (N, Cin, H, W) → logits (N, classes). Exactness: every convolution must tile
/// its padded input and every 2×2 pool its map; `checkInput(height:width:)` says which sizes do
/// (for the rotated-MNIST preset: even H and W ≥ 28 … see `isExact`), and `classify` refuses
/// others with a thrown error.
public final class P4CNN: Module {
    /// The configuration the network was built from.
    public let configuration: P4CNNConfiguration
    /// Lifting, hidden and final layers in order (convolutions, norms, nonlinearities, pools).
    public let layers: [Module]
    /// Max over poses, then over the plane.
    let groupPool = GroupPooling(.max)
    let spatialPool = GlobalPooling(.max)

    /// A network with fresh weights drawn from `configuration.seed`.
    public required init(configuration: P4CNNConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        var rng = SeededGenerator(seed: configuration.seed)
        let c = configuration
        var layers: [Module] = []
        for layer in 1...(c.hiddenGroupConvolutions + 1) {
            if layer == 1 {
                layers.append(LiftingConvolution(group: c.group, inputChannels: c.inputChannels,
                                                 outputFields: c.fields, kernelSize: c.kernelSize,
                                                 padding: c.padding, bias: !c.batchNorm,
                                                 generator: &rng))
            } else {
                layers.append(GroupConvolution(group: c.group, inputFields: c.fields,
                                               outputFields: c.fields, kernelSize: c.kernelSize,
                                               padding: c.padding, bias: !c.batchNorm,
                                               generator: &rng))
            }
            if c.batchNorm { layers.append(GroupBatchNorm(fields: c.fields)) }
            layers.append(PointwiseNonlinearity(.relu))
            if c.dropout > 0 {
                layers.append(GroupDropout(probability: c.dropout, seed: c.seed &+ UInt64(layer)))
            }
            if c.poolAfterLayers.contains(layer) { layers.append(SpatialPooling(.max, size: 2)) }
        }
        layers.append(GroupConvolution(group: c.group, inputFields: c.fields,
                                       outputFields: c.classes, kernelSize: c.finalKernelSize,
                                       generator: &rng))
        self.layers = layers
        super.init()
    }

    /// The spatial extent after the final convolution for an input extent, or a thrown error
    /// naming the first layer that would not be exact.
    public func outputExtent(forInputExtent extent: Int) throws -> Int {
        var e = extent
        for (index, layer) in layers.enumerated() {
            if let conv = layer as? EquivariantConvolution {
                guard conv.isExact(inputExtent: e) else {
                    throw EquivarianceError(
                        "input extent \(extent) does not fit the P4CNN: layer \(index) "
                        + "(\(conv.kernelSize)×\(conv.kernelSize) convolution, padding "
                        + "\(conv.padding)) would see a \(e)-pixel map; "
                        + "expected at least \(conv.kernelSize - 2 * conv.padding)")
                }
                e = conv.outputExtent(e)
            } else if let pool = layer as? SpatialPooling {
                guard e % pool.size == 0 else {
                    throw EquivarianceError(
                        "input extent \(extent) does not keep the P4CNN exactly invariant: the "
                        + "\(pool.size)×\(pool.size) pool of layer \(index) would see a "
                        + "\(e)-pixel map, which is not a multiple of \(pool.size)")
                }
                e /= pool.size
            }
        }
        return e
    }

    /// Floating-point operations (2 × multiply-adds) of the convolutions of one forward pass.
    public func flops(batch: Int, height: Int, width: Int) -> Double {
        var h = height, w = width, total: Double = 0
        for layer in layers {
            if let conv = layer as? EquivariantConvolution {
                total += conv.flops(batch: batch, height: h, width: w)
                h = conv.outputExtent(h)
                w = conv.outputExtent(w)
            } else if let pool = layer as? SpatialPooling {
                h /= pool.size
                w /= pool.size
            }
        }
        return total
    }

    /// Whether images of this extent keep the network exactly invariant.
    public func isExact(inputExtent extent: Int) -> Bool {
        (try? outputExtent(forInputExtent: extent)) != nil
    }

    /// Throws unless (height, width) keep the network exact; names the failing layer.
    public func checkInput(height: Int, width: Int) throws {
        _ = try outputExtent(forInputExtent: height)
        _ = try outputExtent(forInputExtent: width)
    }

    /// (N, Cin, H, W) → logits (N, classes). Sizes should pass `checkInput`; a pool that does
    /// not tile its map stops with a precondition failure.
    public override func forward(_ input: Variable) -> Variable {
        precondition(input.shape.count == 4 && input.shape[1] == configuration.inputChannels,
                     "P4CNN input must be (N, \(configuration.inputChannels), H, W), got "
                     + "\(input.shape)")
        if !GradientTape.isRecording {
            // Deployed path: each conv with its batch norm and ReLU is one Conv2D.
            let features = runFusedInference(layers, input.value)  // (N, classes, G, h, w)
            return spatialPool(groupPool(Variable(features)))
        }
        var x = input
        for layer in layers { x = layer(x) }  // (N, classes, G, h, w)
        return spatialPool(groupPool(x))  // (N, classes)
    }

    /// Logits for a batch of images (N, Cin, H, W) → (N, classes), without recording
    /// gradients; throws when the size would break exact invariance.
    public func classify(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4, images.shape[1] == configuration.inputChannels else {
            throw EquivarianceError("P4CNN input must be (N, \(configuration.inputChannels), H, "
                                    + "W), "
                                    + "got \(images.shape)")
        }
        try checkInput(height: images.shape[2], width: images.shape[3])
        return GradientTape.withoutRecording { forward(Variable(images)).value }
    }
}
