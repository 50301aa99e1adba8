/// A file that could not be decoded: which file, which codec, what kind of failure, and the
/// codec library's own words.
///
/// `description` reads like `scan.png: PNG decode failed (corrupt): IDAT: CRC error`.
public struct CodecError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of failure; callers branch on this, people read `message`.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The file has no bytes.
        case empty
        /// The magic bytes match no supported format.
        case notAnImage
        /// The data ends before the image does.
        case truncated
        /// The codec rejected the data (bad CRC, bad marker, bad header…).
        case corrupt
        /// A valid file of a variant this build cannot decode (12-bit JPEG, OJPEG…).
        case unsupported
        /// The declared size exceeds the pixel limit; refused before any pixel buffer exists.
        case tooLarge
        /// The file could not be read.
        case io
        /// The requested page does not exist.
        case pageOutOfRange
        /// An allocation failed inside the codec.
        case outOfMemory
    }

    /// The path or name the caller gave.
    public var file: String
    /// The codec that failed; nil when the format could not be determined.
    public var codec: ImageFormat?
    public var kind: Kind
    /// The library's own message (or ours, for checks done before the library runs).
    public var message: String

    public init(file: String, codec: ImageFormat?, kind: Kind, message: String) {
        self.file = file
        self.codec = codec
        self.kind = kind
        self.message = message
    }

    public var description: String {
        if let codec {
            return "\(file): \(codec.displayName) decode failed (\(kind.rawValue)): \(message)"
        }
        return "\(file): cannot decode (\(kind.rawValue)): \(message)"
    }
}

extension ImageFormat {
    /// Upper-case name used in messages (`PNG`, `JPEG`, `TIFF`).
    public var displayName: String {
        switch self {
        case .png: return "PNG"
        case .jpeg: return "JPEG"
        case .tiff: return "TIFF"
        }
    }
}
