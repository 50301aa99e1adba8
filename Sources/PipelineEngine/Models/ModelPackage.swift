import Foundation
import ImageCodecs
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

    public init(folder: String, metadata: ModelMetadata, model: PackagedModel) {
        self.folder = folder
        self.metadata = metadata
        self.model = model
    }

    /// Loads a package folder; refuses weights whose SHA-256 differs from the metadata.
    public static func load(_ folder: String) throws -> ModelPackage {
        let metadataPath = (folder as NSString).appendingPathComponent(metadataFile)
        guard let data = FileManager.default.contents(atPath: metadataPath) else {
            throw DataError(.missing, file: metadataPath, "no metadata.json: not a model package")
        }
        let metadata: ModelMetadata
        do {
            metadata = try JSONDecoder().decode(ModelMetadata.self, from: data)
        } catch {
            throw DataError(.mismatch, file: metadataPath, "metadata does not decode: \(error)")
        }
        let weightsPath = (folder as NSString).appendingPathComponent(metadata.weights.file)
        guard let weights = FileManager.default.contents(atPath: weightsPath) else {
            throw DataError(.missing, file: weightsPath, "weight file missing")
        }
        let digest = SHA256.hex([UInt8](weights))
        guard digest == metadata.weights.sha256 else {
            throw DataError(.mismatch, file: weightsPath, "SHA-256 \(digest) differs from "
                            + "metadata.json (\(metadata.weights.sha256)): the weights changed")
        }
        let model = try PackagedModel.load(weights: weightsPath,
                                           architecture: metadata.architecture)
        model.module.eval()
        return ModelPackage(folder: folder, metadata: metadata, model: model)
    }

    /// Class names (classification) or label names (segmentation), in output order.
    public var outputNames: [String] {
        metadata.classes ?? metadata.labels?.map(\.name) ?? []
    }

    /// Preprocesses a scan exactly as in training (resize, channels, normalisation).
    public func planes(for scan: Scan, file: String) throws -> ImagePlanes {
        let input = metadata.input
        return try ImagePlanes(scan: scan, channels: input.channels, file: file)
            .resizedBilinear(width: input.width, height: input.height)
            .normalized(input.normalization)
    }
}
