#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a watcher compares to tell whether a file is still being written: which file the path
/// leads to (device and inode, so a replacement counts as a change), its size and its
/// modification time to the nanosecond.
public struct FileStamp: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedSeconds: Int64
    public var modifiedNanoseconds: Int64

    /// The stamp of the regular file at `path` (following symlinks); for anything else that is
    /// not a folder (a FIFO, socket or device, a symlink loop or a symlink to nothing) the
    /// stamp of the entry itself, taken without opening or following it; nil when there is
    /// nothing at `path` or it leads to a folder.
    public init?(path: String) {
        var info = stat()
        let followed = stat(path, &info) == 0
        if followed, info.st_mode & S_IFMT == S_IFDIR { return nil }
        if !followed || info.st_mode & S_IFMT != S_IFREG {
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { return nil }
        }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modifiedSeconds = Int64(info.st_mtimespec.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
        #else
        modifiedSeconds = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
        #endif
    }

    /// The modification time in seconds since 1970.
    public var modified: Double {
        Double(modifiedSeconds) + Double(modifiedNanoseconds) / 1e9
    }
}
