#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The permissions of everything EquiScan creates or keeps in an output folder: what the
/// user's umask gives ordinary files (0666) and folders (0777), less write permission for
/// everyone else, whatever the umask says. Files it takes over from an inbox (moved into
/// `processed/` or `quarantine/`) are brought down to the same, so they are never readable by
/// more people than the outputs.
public enum OutputModes {
    /// The process's umask with world-write always masked; read once (reading the umask
    /// means setting it, which is done here only, before anything is written).
    static let mask: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return mask | 0o002
    }()

    /// Mode of a written file.
    public static var file: mode_t { 0o666 & ~mask }

    /// Mode of a created folder.
    public static var folder: mode_t { 0o777 & ~mask }

    /// Creates `path` and its missing parents with `folder`'s mode; an existing folder is
    /// left as it is.
    ///
    /// Throws `SafeFileError` (`.io`) naming the part that could not be created and why.
    public static func createFolder(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
            if mkdir(prefix, folder) == 0 {
                // mkdir applied the real umask; a zero umask would leave world-write.
                _ = chmod(prefix, folder)
                continue
            }
            let code = errno
            var info = stat()
            guard code == EEXIST, stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR
            else {
                let reason = code == EEXIST ? "exists and is not a folder"
                                            : String(cString: strerror(code))
                throw SafeFileError(.io, path: prefix, "cannot create the folder: \(reason)")
            }
        }
    }

    /// Removes from `path`'s permission bits any that a written file would not have (its own
    /// file, reached without following a symlink); returns false when that failed.
    @discardableResult
    public static func restrict(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        let wanted = info.st_mode & 0o7777 & file
        return wanted == info.st_mode & 0o7777 || chmod(path, wanted) == 0
    }
}
