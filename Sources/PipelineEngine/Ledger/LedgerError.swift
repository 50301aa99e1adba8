import GRDB

/// The resume ledger could not be opened, read or written: the ledger file, and a reason a
/// person can act on, with SQLite's own words where it gave them.
///
/// `description` reads like `out/.equiscan/ledger.sqlite: is not a resume ledger (SQLite: file
/// is not a database); delete the folder out/.equiscan to start over (every case will then be
/// redone)`.
public struct LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in classes the CLI maps to exit statuses.
    public enum Kind: Sendable, Equatable {
        /// The file is not a ledger, is damaged, or holds rows this version cannot read.
        case unreadable
        /// A newer EquiScan has changed the ledger's schema.
        case newerFormat
        /// Another process holds the ledger locked; trying again later may succeed.
        case busy
        /// The operating system failed (disk full, permissions, I/O error).
        case io
    }

    public let kind: Kind
    /// The ledger file.
    public let path: String
    /// What is wrong and what to do, without the path.
    public let reason: String

    /// Only the ledger raises these; callers read them.
    init(_ kind: Kind, path: String, _ reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// The advice that ends every message about a ledger that cannot be used as it is.
    static func startOver(_ folder: String) -> String {
        "delete the folder \(folder) to start over (every case will then be redone)"
    }

    /// The error for SQLite's `error` while doing `what` ("record the end of case a/b").
    static func sqlite(_ error: DatabaseError, doing what: String, path: String,
                       folder: String) -> LedgerError {
        let words = "SQLite: " + (error.message ?? "error \(error.resultCode.rawValue)")
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT, .SQLITE_FORMAT:
            return LedgerError(.unreadable, path: path,
                               "is not a usable resume ledger (\(words)); " + startOver(folder))
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return LedgerError(.busy, path: path,
                               "cannot \(what): another process holds the ledger (\(words)); "
                               + "wait for the other equiscan run on this output folder to "
                               + "finish, or use another output folder")
        case .SQLITE_FULL:
            return LedgerError(.io, path: path, "cannot \(what): the disk is full (\(words))")
        default:
            return LedgerError(.io, path: path, "cannot \(what) (\(words))")
        }
    }
}
