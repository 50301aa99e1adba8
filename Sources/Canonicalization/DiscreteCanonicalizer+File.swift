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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata = extraMetadata
        metadata[CanonicalizerMetadata.modelKey] = CanonicalizerMetadata.architectureName
        metadata[CanonicalizerMetadata.configurationKey] =
            String(decoding: try encoder.encode(configuration), as: UTF8.self)
        metadata[CanonicalizerMetadata.groupKey] = configuration.group.description
        metadata[CanonicalizerMetadata.preprocessingKey] =
            String(decoding: try encoder.encode(configuration.preprocessing), as: UTF8.self)
        try save(to: url, metadata: metadata)
    }

    /// Rebuilds a canonicalizer from a file written by `save(weightsTo:)`, in evaluation mode.
    /// Throws `CanonicalizationError` naming the file when the metadata does not describe a
    /// canonicalizer, and the NeuralNet errors for unreadable or mismatching tensors.
    public static func load(from url: URL) throws -> DiscreteCanonicalizer {
        let contents = try SafeTensors.read(from: url)
        let name = contents.metadata[CanonicalizerMetadata.modelKey]
        guard name == CanonicalizerMetadata.architectureName else {
            throw CanonicalizationError(
                "metadata \(CanonicalizerMetadata.modelKey) is "
                + "\(name.map { "\"\($0)\"" } ?? "missing"), expected "
                + "\"\(CanonicalizerMetadata.architectureName)\"", file: url.path)
        }
        guard let json = contents.metadata[CanonicalizerMetadata.configurationKey] else {
            throw CanonicalizationError("metadata \(CanonicalizerMetadata.configurationKey) is "
                                        + "missing", file: url.path)
        }
        let configuration: CanonicalizerConfiguration
        do {
            configuration = try JSONDecoder().decode(CanonicalizerConfiguration.self,
                                                     from: Data(json.utf8))
        } catch let error as DecodingError {
            throw CanonicalizationError("the stored canonicalizer configuration does not "
                                        + "decode: \(error.summary)", file: url.path)
        }
        let canonicalizer: DiscreteCanonicalizer
        do {
            canonicalizer = try DiscreteCanonicalizer(configuration: configuration)
        } catch let error as CanonicalizationError {
            throw CanonicalizationError(error.message, file: url.path)
        }
        try canonicalizer.load(stateDictionary: contents.tensors)
        canonicalizer.eval()
        return canonicalizer
    }
}
