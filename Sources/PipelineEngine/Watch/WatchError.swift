/// Why a watcher (or `equiscan status`) could not start or had to stop. A bad scan is never
/// one of these: it is a failed case, retried and then quarantined.
///
/// `description` reads like `out: another watcher (pid 4242 on host scan-01) holds
/// out/.equiscan/watch.lock; stop it first, or watch into another output folder`.
public struct WatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in classes the CLI maps to exit statuses.
    public enum Kind: Sendable, Equatable {
        /// Another watcher holds the output folder; trying again after it stops may succeed.
        case busy
        /// The inbox is missing or is not a folder; or `status` found no ledger.
        case noInput
        /// The operating system failed (inotify, locks, the output folder).
        case io
    }

    public var kind: Kind
    /// The whole message, naming the file or folder concerned.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
