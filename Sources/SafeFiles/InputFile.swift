#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a file from a shared inbox without trusting it.
///
/// The file is opened with `O_NOFOLLOW` (a symlink put in its place is not followed) and
/// `O_NONBLOCK` (opening a FIFO does not wait for a writer), then checked with `fstat` on the
/// open descriptor, so no check-then-open race can swap in a FIFO, a device or a symlink: only
/// a regular file is read.
public enum InputFile {
    /// What a path is, as `lstat` sees it, for the reasons given when it is not read.
    public static func kindDescription(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFLNK: return "a symlink"
        default: return "a special file"
        }
    }

    /// The bytes of the regular file at `path`; throws `SafeFileError(.io)` naming the file
    /// when it is missing, unreadable, a symlink or not a regular file.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw SafeFileError(.io, path: path, "is a symlink; not followed")
            }
            throw SafeFileError.system("cannot be read", path: path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafeFileError.system("cannot be read", path: path)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SafeFileError(.io, path: path, "is \(kindDescription(mode: info.st_mode)), "
                                + "not a regular file; not read")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                systemRead(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw SafeFileError.system("cannot be read", path: path)
            }
            if count == 0 { break }  // the file shrank while being read
            offset += count
        }
        return offset == bytes.count ? bytes : Array(bytes[..<offset])
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#else
private let systemRead = Darwin.read
#endif
