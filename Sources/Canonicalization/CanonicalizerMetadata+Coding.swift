import Foundation
import NeuralNet

/// The weight-file plumbing that every canonicalizer shares: the configuration travels as
/// sorted-key JSON in the safetensors metadata, beside the architecture name.
extension CanonicalizerMetadata {
    /// `value` as sorted-key JSON text.
    static func encode<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The module in the weight file at `url`, rebuilt by `make` from the configuration in
    /// its metadata, with the file's tensors loaded, in evaluation mode. Errors name the file.
    static func load<Configuration: Decodable, Model: Module>(
        from url: URL, architecture: String, make: (Configuration) throws -> Model
    ) throws -> Model {
        let contents = try SafeTensors.read(from: url)
        let configuration = try self.configuration(Configuration.self, of: contents,
                                                   architecture: architecture, file: url)
        let model: Model
        do {
            model = try make(configuration)
        } catch let error as CanonicalizationError {
            throw CanonicalizationError(error.message, file: url.path)
        }
        try model.load(stateDictionary: contents.tensors)
        model.eval()
        return model
    }

    /// The configuration stored in a weight file's metadata, after checking that the file
    /// holds `architecture`; errors name `file`.
    static func configuration<Value: Decodable>(_ type: Value.Type,
                                                of contents: SafeTensors.Contents,
                                                architecture: String,
                                                file url: URL) throws -> Value {
        let name = contents.metadata[modelKey]
        guard name == architecture else {
            throw CanonicalizationError("metadata \(modelKey) is "
                                        + "\(name.map { "\"\($0)\"" } ?? "missing"), expected "
                                        + "\"\(architecture)\"", file: url.path)
        }
        guard let json = contents.metadata[configurationKey] else {
            throw CanonicalizationError("metadata \(configurationKey) is missing", file: url.path)
        }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw CanonicalizationError("the stored canonicalizer configuration does not "
                                        + "decode: \(error.summary)", file: url.path)
        }
    }
}
