#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Which file a path leads to: device and inode after following symlinks, so a symlink, a hard
/// link and the path itself all compare equal.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    /// The identity of the file at `path`, or nil when nothing is there.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// Whether `a` and `b` lead to the same existing file.
    public static func same(_ a: String, _ b: String) -> Bool {
        guard let x = FileIdentity(path: a), let y = FileIdentity(path: b) else { return false }
        return x == y
    }
}

/// The inputs of the running command, which no write may replace.
///
/// Commands register every input before they start; `AtomicFile` checks each destination
/// against them just before creating its temporary file and again just before the rename.
public final class ProtectedInputs: Sendable {
    /// The process-wide registry.
    public static let shared = ProtectedInputs()

    private let inputs = Mutex([FileIdentity: String]())

    public init() {}

    /// Registers the files at `paths` (paths with nothing there are ignored).
    public func protect(_ paths: [String]) {
        inputs.withLock { inputs in
            for path in paths {
                if let identity = FileIdentity(path: path), inputs[identity] == nil {
                    inputs[identity] = path
                }
            }
        }
    }

    /// The registered input that `path` leads to, if any.
    public func input(at path: String) -> String? {
        guard let identity = FileIdentity(path: path) else { return nil }
        return inputs.withLock { $0[identity] }
    }

    /// Throws when `path` leads to a registered input.
    public func checkNotInput(_ path: String) throws {
        if let input = input(at: path) {
            let what = input == path ? "is" : "leads to the same file as"
            throw SafeFileError(.wouldOverwriteInput, path: path,
                                "\(what) the input \(input); refusing to write over an input")
        }
    }

    /// Forgets the inputs registered under `paths` (as given to `protect`): a long-running
    /// process releases an input once it is done with it, so that a later file that reuses
    /// the inode of a deleted input is not mistaken for it.
    public func release(_ paths: [String]) {
        let released = Set(paths)
        inputs.withLock { inputs in inputs = inputs.filter { !released.contains($0.value) } }
    }

    /// Forgets every registered input (for tests and long-running processes between jobs).
    public func removeAll() {
        inputs.withLock { $0.removeAll() }
    }
}
