import Canonicalization
import Equivariance
import Foundation
import NeuralNet
import TensorCore

/// A network a package can hold, with the one call each task needs.
public enum PackagedModel {
    case classifier(P4CNN)
    case segmenter(EquivariantUNet)
    case canonicalizer(DiscreteCanonicalizer)
    /// A classifier or segmenter behind a canonicalizer, trained together.
    case canonicalized(CanonicalizedPredictor)

    /// The module (for training, weights and mode switches).
    public var module: Module {
        switch self {
        case .classifier(let m): return m
        case .segmenter(let m): return m
        case .canonicalizer(let m): return m
        case .canonicalized(let m): return m
        }
    }

    /// Architecture name stored in metadata and weight files.
    public var architecture: String {
        switch self {
        case .classifier: return P4CNN.architectureName
        case .segmenter: return EquivariantUNet.architectureName
        case .canonicalizer: return CanonicalizerMetadata.architectureName
        case .canonicalized(let m): return m._base.architecture
        }
    }

    /// Logits without recording gradients: (N, classes), (N, classes, H, W), or pose scores
    /// (N, |G|) for a canonicalizer (index order of `Group.elements`). A canonicalized model
    /// predicts on the canonical images (and moves segmentation logits back by the pose).
    public func predict(_ images: Tensor) -> Tensor {
        if case .canonicalized(let m) = self {
            return GradientTape.withoutRecording { m.predict(images) }
        }
        // A canonicalizer's pose scores, over all its views (`ScorerPreprocessing.views`).
        if case .canonicalizer(let m) = self { return m.scores(images) }
        return GradientTape.withoutRecording { forward(images).value }
    }

    /// The training forward pass: the outputs, and for a canonicalized model the weighted
    /// prior loss to add to the task loss.
    public func trainingForward(_ images: Tensor) -> (output: Variable,
                                                      prior: (weight: Float, loss: Variable)?) {
        guard case .canonicalized(let m) = self else { return (forward(images), nil) }
        let (output, prior) = m.trainingForward(images)
        return (output, (m.priorWeight, prior))
    }

    /// The forward pass on the tape (training): a canonicalizer first maps the images to its
    /// scorer input.
    public func forward(_ images: Tensor) -> Variable {
        switch self {
        case .classifier(let m): return m(Variable(images))
        case .segmenter(let m): return m(Variable(images))
        case .canonicalizer(let m): return m(Variable(m.scorerInput(images)))
        case .canonicalized(let m): return m.trainingForward(images).output
        }
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
        case .canonicalizer(let m):
            // The canonicalizer's own file format (group and preprocessing in the metadata),
            // so `equiscan canonicalize -m` can use the weights directly.
            try m.save(weightsTo: URL(fileURLWithPath: path), extraMetadata: metadata)
            return
        case .canonicalized(let m):
            // The predictor at `path`, the canonicalizer beside it in its own format.
            try m._base.save(weightsTo: path, metadata: metadata)
            try m.canonicalizer.save(weightsTo: URL(fileURLWithPath: Self.canonicalizerPath(
                besideWeights: path)), extraMetadata: metadata)
            return
        }
        var all = metadata
        all[EquivariantModelMetadata.modelKey] = architecture
        all[EquivariantModelMetadata.configurationKey] = String(decoding: configuration,
                                                                as: UTF8.self)
        try SafeTensors.write(module.stateDictionary(), metadata: all,
                              to: URL(fileURLWithPath: path))
    }

    /// Where a canonicalized model keeps its canonicalizer: `canonicalizer.safetensors` in
    /// the folder of the predictor's weights.
    public static func canonicalizerPath(besideWeights path: String) -> String {
        ((path as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent(ModelPackage.canonicalizerFile)
    }

    /// Rebuilds a model from a weight file written by `save(weightsTo:metadata:)`.
    public static func load(weights path: String, architecture: String) throws -> PackagedModel {
        let url = URL(fileURLWithPath: path)
        switch architecture {
        case P4CNN.architectureName: return .classifier(try P4CNN.load(from: url))
        case EquivariantUNet.architectureName:
            return .segmenter(try EquivariantUNet.load(from: url))
        case CanonicalizerMetadata.architectureName:
            return .canonicalizer(try DiscreteCanonicalizer.load(from: url))
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
    ///
    /// With `spec.canonicalizer`, the classifier or U-Net is wrapped behind a canonicalizer
    /// whose scorer has a lifting conv and one group conv per further entry of `fields`,
    /// with 3×3 kernels and a 2×2 average pool after every layer but the last, on the input
    /// resized to `inputSize` (no further normalisation: the input is already normalised).
    public static func build(_ spec: ModelSpec, input: InputSpec, classCount: Int,
                             seed: UInt64) throws -> PackagedModel {
        if let canonical = spec.canonicalizer {
            var plain = spec
            plain.canonicalizer = nil
            let base = try build(plain, input: input, classCount: classCount, seed: seed)
            let configuration = CanonicalizerConfiguration(
                group: group(canonical.group),
                preprocessing: ScorerPreprocessing(cropRatio: 1, size: canonical.inputSize,
                                                   normalization: .none),
                network: ScoringNetworkConfiguration(
                    inputChannels: input.channels, fields: canonical.fields,
                    liftingKernelSize: 3, kernelSize: 3,
                    poolingSteps: canonical.fields.count - 1, seed: seed ^ 0xCA40_0000))
            return .canonicalized(CanonicalizedPredictor(
                canonicalizer: try DiscreteCanonicalizer(configuration: configuration),
                base: base, priorWeight: Float(canonical.priorWeight),
                beta: Float(canonical.beta)))
        }
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
            // Scorer: lifting conv and `depth` group convs of `width` fields, or the layers
            // of `fields` (the last one scores), 2x2 average pools after the first `depth`
            // layers; the scorer preprocessing repeats this package's resize and
            // normalisation, so the weights also work on raw scans in `equiscan canonicalize`.
            let normalization: IntensityNormalization
            switch input.normalization {
            case .none, .window: normalization = .none
            case .minMax: normalization = .minMax
            case .zScore: normalization = .zScore
            case let .percentile(lower, upper): normalization = .percentile(lower: lower,
                                                                            upper: upper)
            }
            let configuration = CanonicalizerConfiguration(
                group: g,
                preprocessing: ScorerPreprocessing(cropRatio: 1, size: input.width,
                                                   normalization: normalization,
                                                   views: spec.views,
                                                   viewGammas: spec.viewGammas),
                network: ScoringNetworkConfiguration(
                    inputChannels: input.channels,
                    fields: spec.fields ?? [Int](repeating: spec.width, count: spec.depth + 1),
                    liftingKernelSize: spec.kernelSize, kernelSize: spec.kernelSize,
                    poolingSteps: spec.depth, seed: seed))
            return .canonicalizer(try DiscreteCanonicalizer(configuration: configuration))
        }
    }
}
