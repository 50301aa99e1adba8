import Canonicalization
import Foundation
import ImageCodecs
import NeuralNet
import SafeFiles
import StrictJSON

/// `metadata.json` of a continuous (EGNN) orientation package: the conventions of
/// `ModelMetadata` (name, version, task, architecture, training data, validation metrics, the
/// weights' SHA-256, the notice) with the point-set model's own fields.
public struct EGNNPackageMetadata: Codable, Sendable, Equatable {
    /// Format of this file; bumped when fields change meaning.
    public var formatVersion: Int
    public var name: String
    public var version: String
    public var description: String
    /// Always `orientation`.
    public var task: TrainingTask
    /// `EGNNCanonicalizer.architectureName`.
    public var architecture: String
    /// "SO2" (angle) or "O2" (angle and mirror).
    public var group: FrameGroup
    /// How points are taken from a scan.
    public var keypoints: KeypointSpec
    public var trainingData: ModelMetadata.TrainingDataSummary
    public var training: EGNNTrainingSummary
    /// Angular errors on held-out scans, in degrees ("medianAngleError", "p95AngleError").
    public var validationMetrics: [String: Double]
    public var weights: ModelMetadata.WeightsReference
    public var notice: String

    public init(name: String, version: String, description: String, group: FrameGroup,
                keypoints: KeypointSpec, trainingData: ModelMetadata.TrainingDataSummary,
                training: EGNNTrainingSummary, validationMetrics: [String: Double],
                weights: ModelMetadata.WeightsReference) {
        formatVersion = 1
        self.name = name
        self.version = version
        self.description = description
        task = .orientation
        architecture = EGNNCanonicalizer.architectureName
        self.group = group
        self.keypoints = keypoints
        self.trainingData = trainingData
        self.training = training
        self.validationMetrics = validationMetrics
        self.weights = weights
        notice = ModelMetadata.researchNotice
    }
}

/// How an EGNN package was trained.
public struct EGNNTrainingSummary: Codable, Sendable, Equatable {
    public var seed: UInt64
    /// Optimiser steps taken.
    public var steps: Int
    /// Point sets per step.
    public var batchSize: Int
    public var learningRate: Double
    /// "alone" (random turns of upright data) or "prior" (end to end, prior-regularised).
    public var mode: String
    /// The network.
    public var model: EGNNConfiguration

    public init(seed: UInt64, steps: Int, batchSize: Int, learningRate: Double, mode: String,
                model: EGNNConfiguration) {
        self.seed = seed
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.mode = mode
        self.model = model
    }
}

/// A continuous orientation package folder: `metadata.json` and `weights.safetensors`, the
/// weights checked against the SHA-256 in the metadata.
public final class EGNNPackage {
    public let folder: String
    public let metadata: EGNNPackageMetadata
    /// The network, in evaluation mode.
    public let canonicalizer: EGNNCanonicalizer

    public init(folder: String, metadata: EGNNPackageMetadata, canonicalizer: EGNNCanonicalizer) {
        self.folder = folder
        self.metadata = metadata
        self.canonicalizer = canonicalizer
    }

    /// Whether `folder` holds a package whose metadata names the EGNN architecture (read
    /// leniently: any other content, or none, is not one).
    public static func holdsEGNN(_ folder: String) -> Bool {
        let path = (folder as NSString).appendingPathComponent(ModelPackage.metadataFile)
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return object["architecture"] as? String == EGNNCanonicalizer.architectureName
    }

    /// Loads a package folder; refuses weights whose SHA-256 differs from the metadata.
    public static func load(_ folder: String) throws -> EGNNPackage {
        try ModelPackage.checkIsPackageFolder(folder)
        let path = (folder as NSString).appendingPathComponent(ModelPackage.metadataFile)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(.missing, file: path, "no metadata.json: not a model package")
        }
        let metadata: EGNNPackageMetadata
        do {
            metadata = try JSONDecoder().decode(EGNNPackageMetadata.self, from: data)
        } catch let error as DecodingError {
            throw DataError(.mismatch, file: path, "not an EGNN orientation package: "
                            + error.summary)
        }
        let weightsPath = try ModelPackage.checkedPath(metadata.weights, in: folder)
        let canonicalizer: EGNNCanonicalizer
        do {
            canonicalizer = try EGNNCanonicalizer.load(from: URL(fileURLWithPath: weightsPath))
        } catch let error as CanonicalizationError {
            throw DataError(.mismatch, file: weightsPath, error.message)
        }
        guard canonicalizer.configuration.group == metadata.group else {
            throw DataError(.mismatch, file: path, "group \(metadata.group.rawValue) differs "
                            + "from the weights' \(canonicalizer.configuration.group.rawValue)")
        }
        try ModelLoader.checkFinite(canonicalizer, file: weightsPath)
        return EGNNPackage(folder: folder, metadata: metadata, canonicalizer: canonicalizer)
    }

    /// Writes a package: the weights (atomically), then `metadata.json` with their SHA-256
    /// filled in. `metadata.weights` is replaced.
    public static func write(_ canonicalizer: EGNNCanonicalizer, metadata: EGNNPackageMetadata,
                             to folder: String) throws -> EGNNPackage {
        do {
            try FileManager.default.createDirectory(atPath: folder,
                                                    withIntermediateDirectories: true)
        } catch {
            throw SafeFileError(.io, path: folder, "cannot create the package folder")
        }
        let weightsPath = (folder as NSString).appendingPathComponent(ModelPackage.weightsFile)
        try canonicalizer.save(weightsTo: URL(fileURLWithPath: weightsPath),
                               extraMetadata: ["equiscan.package": metadata.name,
                                               "equiscan.version": metadata.version])
        let bytes = try InputFile.read(weightsPath)
        var complete = metadata
        complete.weights = .init(file: ModelPackage.weightsFile, sha256: ContentHash.hex(bytes))
        try AtomicFile.writeJSON(complete, to: (folder as NSString)
            .appendingPathComponent(ModelPackage.metadataFile))
        return EGNNPackage(folder: folder, metadata: complete, canonicalizer: canonicalizer)
    }
}
