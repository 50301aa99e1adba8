import Equivariance
import Foundation
import NeuralNet
import TensorCore

/// A network a package can hold, with the one call each task needs.
public enum PackagedModel {
    case classifier(P4CNN)
    case segmenter(EquivariantUNet)

    /// The module (for training, weights and mode switches).
    public var module: Module {
        switch self {
        case .classifier(let m): return m
        case .segmenter(let m): return m
        }
    }

    /// Architecture name stored in metadata and weight files.
    public var architecture: String {
        switch self {
        case .classifier: return P4CNN.architectureName
        case .segmenter: return EquivariantUNet.architectureName
        }
    }

    /// Logits without recording gradients: (N, classes) or (N, classes, H, W).
    public func predict(_ images: Tensor) -> Tensor {
        GradientTape.withoutRecording { module(Variable(images)).value }
    }

    /// Saves weights with the architecture configuration in the file's metadata, under the
    /// keys `EquivariantModelFile.load(from:)` reads. The configuration JSON has sorted keys so
    /// that the same weights always give the same bytes (and the same SHA-256).
    public func save(weightsTo path: String, metadata: [String: String]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configuration: Data
        switch self {
        case .classifier(let m): configuration = try encoder.encode(m.configuration)
        case .segmenter(let m): configuration = try encoder.encode(m.configuration)
        }
        var all = metadata
        all[EquivariantModelMetadata.modelKey] = architecture
        all[EquivariantModelMetadata.configurationKey] = String(decoding: configuration,
                                                                as: UTF8.self)
        try SafeTensors.write(module.stateDictionary(), metadata: all,
                              to: URL(fileURLWithPath: path))
    }

    /// Rebuilds a model from a weight file written by `save(weightsTo:metadata:)`.
    public static func load(weights path: String, architecture: String) throws -> PackagedModel {
        let url = URL(fileURLWithPath: path)
        switch architecture {
        case P4CNN.architectureName: return .classifier(try P4CNN.load(from: url))
        case EquivariantUNet.architectureName:
            return .segmenter(try EquivariantUNet.load(from: url))
        default:
            throw DataError(.mismatch, file: path, "unknown architecture \"\(architecture)\"")
        }
    }
}

/// Builds the network a training config asks for.
public enum ModelFactory {
    /// The Equivariance group of a config group name.
    public static func group(_ name: GroupName) -> Group { name == .c4 ? .c4 : .d4 }

    /// A fresh network (weights drawn from `seed`).
    ///
    /// - `p4cnn`: a lifting convolution and `depth − 1` group convolutions of `width` fields,
    ///   each with group batch norm and ReLU, a 2×2 max pool after each of them (so the input
    ///   must be divisible by 2^depth), a 1×1 group convolution to one field per class, then
    ///   max pooling over the group and the plane (invariant logits).
    /// - `unet`: `depth + 1` levels with `width · 2^level` fields, two convolutions per block.
    public static func build(_ spec: ModelSpec, input: InputSpec, classCount: Int,
                             seed: UInt64) throws -> PackagedModel {
        let g = group(spec.group)
        switch spec.kind {
        case .p4cnn:
            let configuration = P4CNNConfiguration(
                group: g, inputChannels: input.channels, classes: classCount, fields: spec.width,
                hiddenGroupConvolutions: spec.depth - 1, kernelSize: spec.kernelSize,
                padding: spec.kernelSize / 2, poolAfterLayers: Array(1...spec.depth),
                finalKernelSize: 1, batchNorm: true, dropout: Float(spec.dropout), seed: seed)
            return .classifier(try P4CNN(configuration: configuration))
        case .unet:
            let configuration = EquivariantUNetConfiguration(
                group: g, inputChannels: input.channels, classes: classCount,
                fieldsPerLevel: (0...spec.depth).map { spec.width << $0 },
                convolutionsPerBlock: 2, kernelSize: spec.kernelSize,
                inputSizePolicy: .pad, seed: seed)
            return .segmenter(try EquivariantUNet(configuration: configuration))
        case .canonicalizer:
            throw ConfigError(path: ConfigPath.root.appending("model").appending("kind"),
                              message: "orientation canonicalizer training is not available in "
                              + "this build (it needs the Canonicalization module's "
                              + "DiscreteCanonicalizer)")
        }
    }
}
