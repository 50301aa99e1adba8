#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One watcher per output folder: an exclusive `flock(2)` on `OUT/.equiscan/watch.lock`, held
/// for the watcher's life and released by the kernel when the process ends in any way
/// (SIGKILL included), so a stale lock never needs cleaning up.
///
/// The file holds the holder's description as JSON (pid, host, inbox, intake rules), which
/// a second watcher names in its refusal and `equiscan status` reads. It is written in place,
/// not through `AtomicFile`: replacing the file would leave the lock on the old one.
public final class WatchLock: Sendable {
    /// The lock file's name in the ledger folder.
    public static let fileName = "watch.lock"

    /// Who holds (or last held) the lock, and what it watches.
    public struct Holder: Sendable, Equatable, Codable {
        public var pid: Int32
        public var host: String
        /// The inbox, as an absolute path.
        public var inbox: String
        public var startedAt: String
        public var include: [String]
        public var exclude: [String]
        public var readySentinel: Bool

        public init(pid: Int32, host: String, inbox: String, startedAt: String,
                    include: [String], exclude: [String], readySentinel: Bool) {
            self.pid = pid
            self.host = host
            self.inbox = inbox
            self.startedAt = startedAt
            self.include = include
            self.exclude = exclude
            self.readySentinel = readySentinel
        }
    }

    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The lock file of `outputFolder`.
    public static func path(outputFolder: String) -> String {
        ((outputFolder as NSString).appendingPathComponent(RunLedger.folderName) as NSString)
            .appendingPathComponent(fileName)
    }

    /// Takes the lock of `outputFolder` for `holder`; throws `WatchError.Kind.busy`, naming
    /// the holder's pid and host, when another process has it.
    public static func acquire(outputFolder: String, holder: Holder) throws -> WatchLock {
        let file = Self.path(outputFolder: outputFolder)
        try InboxFiles.createFolder(of: file)
        let descriptor = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw WatchError(.io, "\(file): cannot open the lock file: "
                             + String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let other = storedHolder(descriptor)
            close(descriptor)
            guard code == EWOULDBLOCK else {
                throw WatchError(.io, "\(file): cannot lock: \(String(cString: strerror(code)))")
            }
            let who = other.map { "pid \($0.pid) on host \($0.host)" } ?? "another process"
            throw WatchError(.busy, "\(outputFolder): another watcher (\(who)) holds \(file); "
                             + "stop it first, or watch into another output folder")
        }
        let lock = WatchLock(path: file, descriptor: descriptor)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = Array((try? encoder.encode(holder)) ?? Data()) + [0x0A]
        guard ftruncate(descriptor, 0) == 0,
              bytes.withUnsafeBytes({ pwrite(descriptor, $0.baseAddress, $0.count, 0) })
                == bytes.count else {
            throw WatchError(.io, "\(file): cannot write the lock file: "
                             + String(cString: strerror(errno)))
        }
        return lock
    }

    /// The holder the lock file of `outputFolder` names, and whether a live process holds the
    /// lock now (nil holder: no watcher ever ran there, or the file is unreadable).
    public static func holder(outputFolder: String) -> (holder: Holder?, live: Bool) {
        let descriptor = open(Self.path(outputFolder: outputFolder), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return (nil, false) }
        defer { close(descriptor) }
        let live = flock(descriptor, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK
        return (storedHolder(descriptor), live)
    }

    private static func storedHolder(_ descriptor: Int32) -> Holder? {
        var bytes = [UInt8](repeating: 0, count: 64 * 1024)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(bytes[..<count]))
    }
}
