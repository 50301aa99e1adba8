#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation that failed: the path, what was being done, and the system's reason.
///
/// `description` is one line a person can act on, e.g.
/// `out/scan.png: cannot write: No space left on device`.
public struct SafeFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in classes the CLI maps to exit statuses.
    public enum Kind: Sendable, Equatable {
        /// The operating system refused or failed (disk full, permissions, I/O error).
        case io
        /// A write would replace one of the command's own inputs.
        case wouldOverwriteInput
        /// The destination is unusable as given (a folder where a file is expected).
        case invalidDestination
        /// Two inputs would be written to the same output file.
        case outputCollision
    }

    public var kind: Kind
    /// The file concerned.
    public var path: String
    /// What is wrong, without the path.
    public var reason: String

    public init(_ kind: Kind, path: String, _ reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// An `.io` error for the call that just failed, with `strerror(errno)`.
    static func system(_ what: String, path: String) -> SafeFileError {
        let code = errno
        return SafeFileError(.io, path: path, "\(what): \(String(cString: strerror(code)))")
    }
}
