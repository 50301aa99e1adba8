#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The one way EquiScan writes a file: a reader sees the old file or the whole new one, never
/// a part, and a crash or signal leaves at most a hidden temporary file that the next write into
/// the folder removes.
///
/// Steps: remove stale temporary files of ours from the folder (once per folder and process),
/// refuse a destination that is a protected input (`ProtectedInputs`), create
/// `.NAME.tmp-XXXXXX` in the destination folder with `mkstemp` (registered with
/// `TemporaryFiles` so SIGINT/SIGTERM remove it), write, `fsync` the file, rename it over the
/// destination, and `fsync` the folder so the rename itself survives a power cut.
public enum AtomicFile {
    /// Writes `bytes` to `path`; the folder must exist. Files get mode 0644.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        try write(to: path) { sink in try sink.write(bytes) }
    }

    /// Writes the file `produce` hands to `sink` piece by piece, for files too large to hold
    /// in memory at once (reports of many cases); the same steps as the other writes, so a
    /// reader sees the whole file or the old one. `produce` throwing removes the temporary
    /// file and leaves the destination as it was.
    public static func write(to path: String,
                             _ produce: (AtomicFileSink) throws -> Void) throws {
        let (directory, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw SafeFileError(.invalidDestination, path: path,
                                "names a folder; expected a file path")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
           isDirectory.boolValue {
            throw SafeFileError(.invalidDestination, path: path,
                                "is a folder; expected a file path")
        }
        try ProtectedInputs.shared.checkNotInput(path)
        StaleTemporaryFiles.removeOnce(in: directory)

        let temporary = try TemporaryFiles.shared.create(in: directory, for: name)
        var fd = temporary.descriptor
        defer {
            if fd >= 0 { close(fd) }
            TemporaryFiles.shared.discard(temporary.path)
        }
        // mkstemp creates the file 0600; a finished file gets what the user's umask gives
        // ordinary data files (0666 less the umask), as `open(2)` would have, never
        // world-writable.
        _ = fchmod(fd, fileMode)
        let sink = AtomicFileSink(descriptor: fd, path: path)
        try produce(sink)
        try sink.flush()
        guard fsync(fd) == 0 else { throw SafeFileError.system("cannot sync", path: path) }
        let closeResult = close(fd)
        fd = -1
        guard closeResult == 0 else { throw SafeFileError.system("cannot write", path: path) }
        // The destination may have become an input's hard link since the first check.
        try ProtectedInputs.shared.checkNotInput(path)
        guard rename(temporary.path, path) == 0 else {
            throw SafeFileError.system("cannot move the finished file into place", path: path)
        }
        TemporaryFiles.shared.forget(temporary.path)
        syncDirectory(directory)
    }

    /// Writes `bytes` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Encodes `value` as pretty, key-sorted JSON with a final newline and writes it atomically.
    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            // Only non-finite numbers fail here; say so instead of Foundation's description.
            throw SafeFileError(.invalidDestination, path: path,
                                "cannot write JSON: a value is not a finite number")
        }
        data.append(0x0A)
        try write(data, to: path)
    }

    /// Folder and file name of `path` (the folder is "." for a bare name).
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    /// Makes a rename in `directory` durable; failure only weakens durability, so it is
    /// ignored (some file systems refuse to open or sync folders).
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// 0666 less the process's umask and world-write (`OutputModes.file`).
    static var fileMode: mode_t { OutputModes.file }

    static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer,
                                    _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }
}
