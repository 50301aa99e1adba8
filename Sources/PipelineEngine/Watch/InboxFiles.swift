#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SafeFiles

/// Moves files out of the inbox into the output folder (`processed/`, `quarantine/`), never
/// over an existing file: a taken name gets `-1`, `-2`… before its extension.
///
/// A move is a hard link and an unlink, so a crash in between leaves the file in both places;
/// the next move of the same file finds its own link there (same device and inode) and only
/// unlinks. Across file systems the bytes are copied through `AtomicFile`, then the original
/// is removed.
enum InboxFiles {
    /// Moves `path` to `destination`, or to the first free variant of it; returns where the
    /// file went. Creates the destination's folders.
    static func move(_ path: String, to destination: String) throws -> String {
        for candidate in candidates(destination) {
            if try moveUnlessTaken(path, to: candidate) { return candidate }
        }
        preconditionFailure("candidates never runs out")
    }

    /// `destination`, then `NAME-1.EXT`, `NAME-2.EXT`, … (lazily, without end).
    static func candidates(_ destination: String) -> some Sequence<String> {
        let folder = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return (0...).lazy.map { index -> String in
            guard index > 0 else { return destination }
            let variant = "\(stem)-\(index)" + (ext.isEmpty ? "" : "." + ext)
            return (folder as NSString).appendingPathComponent(variant)
        }
    }

    /// Moves `path` to `destination` unless a different file is there; false when one is.
    /// The moved file loses any permission a written output would not have
    /// (`OutputModes.restrict`): a scan its sender left readable or writable by everyone is no
    /// longer so once it lies in the output folder.
    static func moveUnlessTaken(_ path: String, to destination: String) throws -> Bool {
        guard try relink(path, to: destination) else { return false }
        OutputModes.restrict(destination)
        return true
    }

    /// `moveUnlessTaken` without the permission change.
    ///
    /// Not `AtomicFile`: nothing new is written. The user's own file changes folder, and a
    /// hard link then unlink (or one rename) moves it whole, never half, in one step; only a
    /// move across file systems copies, and that copy goes through `AtomicFile`.
    private static func relink(_ path: String, to destination: String) throws -> Bool {
        try createFolder(of: destination)
        if link(path, destination) == 0 {
            try remove(path)
            return true
        }
        let code = errno
        switch code {
        case EEXIST:
            guard FileIdentity.same(path, destination) else { return false }
            try remove(path)
            return true
        case EXDEV:
            guard !exists(destination) else { return false }
            try copyAcross(path, to: destination)
            try remove(path)
            return true
        case EPERM, EMLINK, ENOTSUP, EOPNOTSUPP:
            // No hard links on this file system: a plain rename after the check.
            guard !exists(destination) else { return false }
            guard rename(path, destination) == 0 else { throw failure("move", path, destination) }
            return true
        default:
            errno = code
            throw failure("move", path, destination)
        }
    }

    /// Copies `path` to another file system without following or opening what it must not: a
    /// regular file's bytes through `AtomicFile`, a symlink as a symlink to the same target, a
    /// FIFO as a new FIFO; sockets and devices cannot be moved.
    private static func copyAcross(_ path: String, to destination: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw failure("read", path, nil) }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let bytes: [UInt8]
            do {
                bytes = try InputFile.read(path)
            } catch {
                throw WatchError(.io, "\(path): cannot read the file to move it to "
                                 + "\(destination): \(error)")
            }
            try AtomicFile.write(Data(bytes), to: destination)
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &target, target.count - 1)
            guard count >= 0, symlink(target, destination) == 0 else {
                throw failure("move", path, destination)
            }
        case S_IFIFO:
            guard mkfifo(destination, info.st_mode & 0o777 & OutputModes.file) == 0 else {
                throw failure("move", path, destination)
            }
        default:
            throw WatchError(.io, "\(path): is " + InputFile.kindDescription(mode: info.st_mode)
                             + "; it cannot be moved to another file system (\(destination))")
        }
    }

    /// Deletes `path`; a file already gone is fine.
    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("remove", path, nil) }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func createFolder(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try OutputModes.createFolder(folder)
        } catch {
            throw WatchError(.io, "\(folder): cannot create the folder")
        }
    }

    private static func failure(_ what: String, _ path: String, _ destination: String?)
        -> WatchError {
        let reason = String(cString: strerror(errno))
        return WatchError(.io, "\(path): cannot \(what) the file"
                          + (destination.map { " to \($0)" } ?? "") + ": \(reason)")
    }
}
