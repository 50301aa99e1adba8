import Foundation
import NeuralNet

extension EGNNCanonicalizer {
    /// The architecture name stored under `CanonicalizerMetadata.modelKey`.
    public static let architectureName = "EGNNCanonicalizer"

    /// Writes the weights (atomically) with the configuration and the group in the metadata;
    /// `extraMetadata` is kept beside them.
    public func save(weightsTo url: URL, extraMetadata: [String: String] = [:]) throws {
        var metadata = extraMetadata
        metadata[CanonicalizerMetadata.modelKey] = Self.architectureName
        metadata[CanonicalizerMetadata.configurationKey] =
            try CanonicalizerMetadata.encode(configuration)
        metadata[CanonicalizerMetadata.groupKey] = configuration.group.rawValue
        try save(to: url, metadata: metadata)
    }

    /// Rebuilds a canonicalizer from a file written by `save(weightsTo:)`, in evaluation mode.
    /// Throws `CanonicalizationError` naming the file when the metadata does not describe an
    /// EGNN canonicalizer, and the NeuralNet errors for unreadable or mismatching tensors.
    public static func load(from url: URL) throws -> EGNNCanonicalizer {
        try CanonicalizerMetadata.load(from: url, architecture: architectureName) {
            (configuration: EGNNConfiguration) in
            try EGNNCanonicalizer(configuration: configuration)
        }
    }
}
