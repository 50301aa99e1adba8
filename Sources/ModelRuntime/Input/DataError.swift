import ImageCodecs

/// A dataset that cannot be used as configured: names the file or folder and says why.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// A folder or file named by the config does not exist or cannot be listed.
        case missing
        /// The set holds no usable cases.
        case empty
        /// An image and its label map do not match (size, channels, missing partner).
        case mismatch
        /// A label (class name, pixel value) the config does not know.
        case unknownLabel
        /// A CSV that cannot be read as `path,label`.
        case badTable
        /// A scan whose colour model or sample type cannot be turned faithfully into the
        /// input a model expects (see `InputSpec.check(_:file:expectedBy:)`).
        case unsupportedScan
        /// A scan offered for evaluation that the model trained or validated on.
        case seenCase
    }

    public var kind: Kind
    /// The path concerned.
    public var file: String
    public var message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
