/// A configuration or weight file that cannot describe a canonicalizer: the message quotes the
/// value and says what was expected.
public struct CanonicalizationError: Error, Equatable, CustomStringConvertible {
    /// What was wrong, in words a person can act on.
    public let message: String
    /// The file concerned, when there is one.
    public let file: String?

    /// An error with `message`, optionally about `file`.
    public init(_ message: String, file: String? = nil) {
        self.message = message
        self.file = file
    }

    /// "file: message", or the message alone.
    public var description: String {
        file.map { "\($0): \(message)" } ?? message
    }
}
