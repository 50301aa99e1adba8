import Foundation
import NeuralNet

/// A model that can be rebuilt from its `configuration` and saved to a safetensors weight file
/// whose metadata carries that configuration.
///
/// Metadata keys: `equiscan.model` (the architecture: "P4CNN", "EquivariantUNet") and
/// `equiscan.configuration` (the configuration as JSON). Training and pipelines use
/// `load(from:)` to rebuild the network and its weights in one step.
public protocol EquivariantModelFile: Module {
    /// The Codable description of the architecture.
    associatedtype Configuration: Codable & Equatable
    /// Name stored under `equiscan.model`.
    static var architectureName: String { get }
    /// The configuration the model was built from.
    var configuration: Configuration { get }
    /// A model with fresh weights.
    init(configuration: Configuration) throws
}

/// Metadata keys of equivariant weight files.
public enum EquivariantModelMetadata {
    /// Architecture name key.
    public static let modelKey = "equiscan.model"
    /// Configuration JSON key.
    public static let configurationKey = "equiscan.configuration"
}

extension EquivariantModelFile {
    /// Writes the weights and the configuration (as metadata) to a safetensors file; `extra`
    /// metadata is kept beside them. The configuration JSON has sorted keys, so the same
    /// weights always give the same bytes.
    public func save(weightsTo url: URL, extraMetadata extra: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(configuration)
        var metadata = extra
        metadata[EquivariantModelMetadata.modelKey] = Self.architectureName
        metadata[EquivariantModelMetadata.configurationKey] = String(decoding: json, as: UTF8.self)
        try save(to: url, metadata: metadata)
    }

    /// Rebuilds a model from a file written by `save(weightsTo:)`: the configuration from the
    /// metadata, then the weights. Throws when the file names another architecture or its
    /// configuration does not decode.
    public static func load(from url: URL) throws -> Self {
        let contents = try SafeTensors.read(from: url)
        let name = contents.metadata[EquivariantModelMetadata.modelKey]
        guard name == architectureName else {
            throw EquivarianceError("\(url.path): metadata \(EquivariantModelMetadata.modelKey) is "
                                    + "\(name.map { "\"\($0)\"" } ?? "missing"), expected "
                                    + "\"\(architectureName)\"")
        }
        guard let json = contents.metadata[EquivariantModelMetadata.configurationKey] else {
            throw EquivarianceError("\(url.path): metadata "
                                    + "\(EquivariantModelMetadata.configurationKey) is missing")
        }
        let configuration: Configuration
        do {
            configuration = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw EquivarianceError("\(url.path): the stored \(architectureName) configuration "
                                    + "does not decode: \(error.summary)")
        }
        let model = try Self(configuration: configuration)
        try model.load(stateDictionary: contents.tensors)
        model.eval()
        return model
    }
}

extension P4CNN: EquivariantModelFile {
    /// "P4CNN".
    public static var architectureName: String { "P4CNN" }
}

extension EquivariantUNet: EquivariantModelFile {
    /// "EquivariantUNet".
    public static var architectureName: String { "EquivariantUNet" }
}
