import Foundation
import NeuralNet

/// Metadata keys of canonicalizer weight files (safetensors `__metadata__`).
public enum CanonicalizerMetadata {
    /// Architecture key, shared with the other EquiScan model files.
    public static let modelKey = "equiscan.model"
    /// The full configuration as JSON.
    public static let configurationKey = "equiscan.configuration"
    /// The group name ("C4", "D4"…), for people and tools that read metadata only.
    public static let groupKey = "equiscan.canonicalizer.group"
    /// The scorer preprocessing as JSON, likewise.
    public static let preprocessingKey = "equiscan.canonicalizer.preprocessing"
    /// The architecture name stored under `modelKey`.
    public static let architectureName = "DiscreteCanonicalizer"
}

extension DiscreteCanonicalizer {
    /// Writes the weights (atomically) with the configuration, group and preprocessing in
    /// the metadata; `extraMetadata` is kept beside them.
    public func save(weightsTo url: URL, extraMetadata: [String: String] = [:]) throws {
        var metadata = extraMetadata
        metadata[CanonicalizerMetadata.modelKey] = CanonicalizerMetadata.architectureName
        metadata[CanonicalizerMetadata.configurationKey] =
            try CanonicalizerMetadata.encode(configuration)
        metadata[CanonicalizerMetadata.groupKey] = configuration.group.description
        metadata[CanonicalizerMetadata.preprocessingKey] =
            try CanonicalizerMetadata.encode(configuration.preprocessing)
        try save(to: url, metadata: metadata)
    }

    /// Rebuilds a canonicalizer from a file written by `save(weightsTo:)`, in evaluation mode.
    /// Throws `CanonicalizationError` naming the file when the metadata does not describe a
    /// canonicalizer, and the NeuralNet errors for unreadable or mismatching tensors.
    public static func load(from url: URL) throws -> DiscreteCanonicalizer {
        try CanonicalizerMetadata.load(from: url, architecture: CanonicalizerMetadata
            .architectureName) { (configuration: CanonicalizerConfiguration) in
            try DiscreteCanonicalizer(configuration: configuration)
        }
    }
}
