import Canonicalization
import Foundation
import ImageCodecs
import SafeFiles
import StrictJSON
import TensorCore

/// A trained model folder: `metadata.json`, `weights.safetensors` (checked against the SHA-256
/// in the metadata), and the network rebuilt from them. What `equiscan evaluate` and pipelines
/// load.
public final class ModelPackage {
    public let folder: String
    public let metadata: ModelMetadata
    public let model: PackagedModel

    public static let metadataFile = "metadata.json"
    public static let weightsFile = "weights.safetensors"
    /// The canonicalizer's weights of a canonicalizer + predictor model.
    public static let canonicalizerFile = "canonicalizer.safetensors"
    /// The training config as given to `equiscan train` (not read when loading).
    public static let trainingConfigFile = "training-config.json"

    public init(folder: String, metadata: ModelMetadata, model: PackagedModel) {
        self.folder = folder
        self.metadata = metadata
        self.model = model
    }

    /// Loads a package folder; refuses weights whose SHA-256 differs from the metadata.
    ///
    /// `metadata.json` is validated field by field (`ModelMetadata.parse`); a bad field is a
    /// `ConfigError` printed as `FOLDER/metadata.json:LINE:COL /json/pointer message`.
    public static func load(_ folder: String) throws -> ModelPackage {
        try checkIsPackageFolder(folder)
        let metadataPath = (folder as NSString).appendingPathComponent(metadataFile)
        guard let data = FileManager.default.contents(atPath: metadataPath) else {
            throw DataError(.missing, file: metadataPath, "no metadata.json: not a model package")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: .root, message: "metadata.json is not UTF-8 text",
                              file: metadataPath)
        }
        let metadata = try ModelMetadata.parse(text, file: metadataPath)
        let weightsPath = try checkedPath(metadata.weights, in: folder)
        var model = try PackagedModel.load(weights: weightsPath,
                                           architecture: metadata.architecture)
        if let reference = metadata.canonicalizer {
            let path = try checkedPath(reference, in: folder)
            let spec = metadata.training.model.canonicalizer
            model = .canonicalized(CanonicalizedPredictor(
                canonicalizer: try DiscreteCanonicalizer.load(from: URL(fileURLWithPath: path)),
                base: model, priorWeight: Float(spec?.priorWeight ?? 0),
                beta: Float(spec?.beta ?? 1)))
        }
        try ModelLoader.checkFinite(model.module, file: weightsPath)
        model.module.eval()
        return ModelPackage(folder: folder, metadata: metadata, model: model)
    }

    /// Refuses a path that is missing or is a file, saying what a package is: a weights file
    /// is the commonest mistake, as `canonicalize` accepts one.
    static func checkIsPackageFolder(_ folder: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw DataError(.missing, file: folder, "no such model package folder; check the "
                            + "path")
        }
        guard isFolder.boolValue else {
            let kind = folder.lowercased().hasSuffix(".safetensors")
                ? "is a weights file, not a model package" : "is a file, not a model package"
            throw DataError(.mismatch, file: folder, kind + "; MODEL must be a model package "
                            + "folder (metadata.json and \(weightsFile), as written by "
                            + "equiscan train)")
        }
    }

    /// The path of a referenced weight file after checking its SHA-256.
    static func checkedPath(_ reference: ModelMetadata.WeightsReference,
                            in folder: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent(reference.file)
        guard let weights = FileManager.default.contents(atPath: path) else {
            throw DataError(.missing, file: path, "weight file missing")
        }
        let digest = ContentHash.hex([UInt8](weights))
        guard digest == reference.sha256 else {
            throw DataError(.mismatch, file: path, "SHA-256 \(digest) differs from "
                            + "metadata.json (\(reference.sha256)): the weights changed")
        }
        return path
    }

    /// Class names (classification) or label names (segmentation), in output order.
    public var outputNames: [String] {
        metadata.classes ?? metadata.labels?.map(\.name) ?? []
    }

    /// Preprocesses a scan exactly as in training: checked against the input spec (a scan
    /// with no faithful conversion is a `DataError` naming both), converted, resized and
    /// normalised; the conversions applied are recorded in `conversions` for reporting once
    /// per run.
    public func planes(for scan: Scan, file: String,
                       conversions: inout InputConversionLog) throws -> ImagePlanes {
        try metadata.input.planes(for: scan, file: file, conversions: &conversions)
    }

    /// `planes(for:file:conversions:)` for one scan whose conversions the caller does not
    /// report; runs over many scans should keep a log.
    public func planes(for scan: Scan, file: String) throws -> ImagePlanes {
        var conversions = conversionLog()
        return try planes(for: scan, file: file, conversions: &conversions)
    }

    /// An empty conversion log naming this model ("model bccd-cells").
    public func conversionLog() -> InputConversionLog {
        InputConversionLog(consumer: "model \(metadata.name)")
    }
}
