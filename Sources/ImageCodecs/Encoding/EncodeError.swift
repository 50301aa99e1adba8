/// A scan that could not be encoded or written: which format, what went wrong, and the codec
/// library's or the operating system's own words.
///
/// `description` reads like `out.png: PNG encode failed (unsupported): PNG stores …`.
public struct EncodeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of failure.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The scan's sample type or channel count cannot be stored in the format.
        case unsupported
        /// The codec library reported an error.
        case library
        /// An allocation failed inside the encoder.
        case outOfMemory
        /// Writing, syncing or renaming the output file failed.
        case io
    }

    /// The destination path, or `nil` for in-memory encoding.
    public var file: String?
    public var format: ImageFormat
    public var kind: Kind
    public var message: String

    public init(file: String?, format: ImageFormat, kind: Kind, message: String) {
        self.file = file
        self.format = format
        self.kind = kind
        self.message = message
    }

    public var description: String {
        let name: String
        switch format {
        case .png: name = "PNG"
        case .jpeg: name = "JPEG"
        case .tiff: name = "TIFF"
        }
        let prefix = file.map { "\($0): " } ?? ""
        return "\(prefix)\(name) encode failed (\(kind.rawValue)): \(message)"
    }
}
