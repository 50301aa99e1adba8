import Canonicalization
import Foundation
import ModelRuntime
import NeuralNet
import SafeFiles

/// A training config for a continuous (EGNN) orientation package: `equiscan train` takes it
/// when `model.kind` is "egnn" (docs/training.md).
///
/// ```json
/// { "name": "orientation-egnn", "version": "1.0.0", "description": "…", "seed": 5,
///   "data": { "train": ["medical/a.png", "…"], "validation": ["medical/b.png"] },
///   "keypoints": { "grid": 24 },
///   "model": { "kind": "egnn", "group": "SO2", "hiddenFeatures": 32, "messageFeatures": 32,
///              "vectorChannels": 4, "layers": 3, "neighbours": 8 },
///   "training": { "steps": 600, "batchSize": 8, "learningRate": 0.003, "workingSize": 96,
///                 "validationTurns": 24 } }
/// ```
public struct EGNNTrainingConfig: Codable, Equatable, Sendable {
    /// Data sources, relative to the data root: upright scans (files or folders).
    public struct Data: Codable, Equatable, Sendable {
        public var train: [String]
        /// Held-out upright scans the package's angular errors are measured on.
        public var validation: [String]
    }

    /// The network (`EGNNConfiguration` without the feature count, which the keypoints fix).
    public struct Model: Codable, Equatable, Sendable {
        /// Always "egnn".
        public var kind: String
        public var group: FrameGroup
        public var hiddenFeatures: Int
        public var messageFeatures: Int
        public var vectorChannels: Int
        public var layers: Int
        /// k of the k-nearest-neighbour graph.
        public var neighbours: Int
    }

    /// The optimisation.
    public struct Schedule: Codable, Equatable, Sendable {
        /// Optimiser steps (Adam).
        public var steps: Int
        /// Turned scans per step.
        public var batchSize: Int
        public var learningRate: Double
        /// Side of the square every scan is reduced to before it is turned (speed; keypoints
        /// are coarser still).
        public var workingSize: Int
        /// Turns per validation scan for the angular errors.
        public var validationTurns: Int
    }

    public var name: String
    public var version: String
    public var description: String
    public var seed: UInt64
    public var data: Data
    public var keypoints: KeypointSpec
    public var model: Model
    public var training: Schedule

    /// The network configuration.
    public var network: EGNNConfiguration {
        EGNNConfiguration(group: model.group, featureChannels: ScanKeypoints.intensityFeatureCount,
                          hiddenFeatures: model.hiddenFeatures,
                          messageFeatures: model.messageFeatures,
                          vectorChannels: model.vectorChannels, layers: model.layers,
                          graph: .nearest(k: model.neighbours), seed: seed)
    }

    /// Whether the config at `path` asks for an EGNN model (its `model.kind` is "egnn"); any
    /// unreadable file is not one (the regular config reader reports it).
    public static func isEGNN(path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = object["model"] as? [String: Any] else { return false }
        return model["kind"] as? String == "egnn"
    }

    /// Reads and checks the config at `path`; errors name the file and the field.
    public static func load(path: String) throws -> EGNNTrainingConfig {
        try loadWithText(path: path).config
    }

    /// Reads and checks the config at `path`; also returns its text as read, which the trained
    /// package keeps beside its weights.
    public static func loadWithText(path: String) throws -> (config: EGNNTrainingConfig,
                                                             text: String) {
        let bytes = try InputFile.read(path)
        let config: EGNNTrainingConfig
        do {
            config = try JSONDecoder().decode(EGNNTrainingConfig.self, from: Foundation.Data(bytes))
        } catch let error as DecodingError {
            throw DataError(.mismatch, file: path, "invalid EGNN training config: "
                            + error.summary)
        } catch {
            throw DataError(.mismatch, file: path, "not a JSON training config")
        }
        func fail(_ message: String) -> Error { DataError(.mismatch, file: path, message) }
        guard config.model.kind == "egnn" else { throw fail("model.kind must be \"egnn\"") }
        do {
            try config.network.validate()
        } catch let error as CanonicalizationError {
            throw fail("model: " + error.message)
        }
        let t = config.training
        guard t.steps >= 1, t.batchSize >= 1, t.learningRate > 0, t.workingSize >= 16,
              t.validationTurns >= 1, config.keypoints.grid >= 4,
              config.keypoints.grid <= t.workingSize else {
            throw fail("training needs steps, batchSize, validationTurns ≥ 1, learningRate > 0, "
                       + "workingSize ≥ 16 and 4 ≤ keypoints.grid ≤ workingSize")
        }
        guard !config.data.train.isEmpty, !config.data.validation.isEmpty else {
            throw fail("data.train and data.validation must each name at least one scan")
        }
        return (config, String(decoding: bytes, as: UTF8.self))
    }
}
