#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The temporary files of this process that are being written, so that SIGINT and SIGTERM can
/// remove them before the process ends (see `InterruptHandling`).
///
/// Names are `.NAME.tmp-PID-XXXXXX` in the destination's folder: the PID lets a later process
/// tell a file left by a killed writer from one still being written (`StaleTemporaryFiles`).
public final class TemporaryFiles: Sendable {
    /// The process-wide registry.
    public static let shared = TemporaryFiles()

    private struct State {
        var paths: Set<String> = []
        /// Set once an interrupt removed everything: no new temporary file may appear after.
        var closed = false
    }

    private let state = Mutex(State())

    /// A created temporary file: its path and an open descriptor for writing.
    struct Created {
        var path: String
        var descriptor: Int32
    }

    /// Creates and registers a temporary file for `name` in `directory`.
    func create(in directory: String, for name: String) throws -> Created {
        let prefix = directory == "/" ? "/" : directory + "/"
        let destination = prefix + name
        return try state.withLock { state in
            guard !state.closed else {
                throw SafeFileError(.io, path: destination, "interrupted")
            }
            var template = Array((prefix + TemporaryName.prefix(for: name) + "XXXXXX").utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { buffer in
                mkstemp(buffer.baseAddress.unsafelyUnwrapped)
            }
            guard fd >= 0 else {
                throw SafeFileError.system("cannot create a temporary file in \(directory)",
                                           path: destination)
            }
            let path = String(decoding: template.prefix { $0 != 0 }
                .map { UInt8(bitPattern: $0) }, as: UTF8.self)
            state.paths.insert(path)
            return Created(path: path, descriptor: fd)
        }
    }

    /// Removes `path` from the registry without touching the file (it was renamed into place).
    func forget(_ path: String) {
        _ = state.withLock { $0.paths.remove(path) }
    }

    /// Deletes `path` if it is still registered (a failed or abandoned write).
    func discard(_ path: String) {
        state.withLock { state in
            if state.paths.remove(path) != nil { unlink(path) }
        }
    }

    /// Paths registered now (for tests and diagnostics).
    public var inFlight: Set<String> { state.withLock { $0.paths } }

    /// Deletes every registered file and refuses new ones from now on; returns how many were
    /// removed. Called when the process is about to end on a signal.
    @discardableResult
    public func removeAllAndClose() -> Int {
        state.withLock { state in
            state.closed = true
            for path in state.paths { unlink(path) }
            defer { state.paths.removeAll() }
            return state.paths.count
        }
    }
}

/// The naming rule of our temporary files, shared by the writer and the stale-file sweeper.
enum TemporaryName {
    /// `.NAME.tmp-PID-`, to which mkstemp appends six characters.
    static func prefix(for name: String) -> String { ".\(name).tmp-\(getpid())-" }

    /// The writer's PID when `fileName` is exactly one of our temporary names.
    static func writerProcess(of fileName: String) -> pid_t? {
        guard fileName.hasPrefix("."), let marker = fileName.range(of: ".tmp-",
                                                                   options: .backwards)
        else { return nil }
        let tail = fileName[marker.upperBound...]
        let parts = tail.split(separator: "-", omittingEmptySubsequences: false)
        guard marker.lowerBound > fileName.index(after: fileName.startIndex),
              parts.count == 2, let pid = pid_t(parts[0]), pid > 0,
              parts[1].count == 6,
              parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else { return nil }
        return pid
    }
}
