#if os(Linux)
import Foundation
import Glibc

/// File events of an inbox from Linux inotify: a file closed after writing (`IN_CLOSE_WRITE`),
/// moved in (`IN_MOVED_TO`) or linked in (`IN_CREATE` of a hard link or symlink), folders
/// created or moved in (watched at once, and reported so that files which landed before the
/// watch are found), removals, and queue overflows.
///
/// Every folder of the inbox is watched except hidden ones (a leading `.`), symlinked ones and
/// the output folder when it lies inside the inbox, as `CaseDiscovery` skips them. When the
/// kernel refuses a watch (the `fs.inotify.max_user_watches` limit), the source turns into a
/// polling one (`isPolling`) and says why in `fallbackReason`: nothing is missed, only seen later.
public final class InotifyEventSource: FileEventSource {
    public private(set) var isPolling = false
    public private(set) var fallbackReason: String?
    public let waker: FileEventWaker

    private let inbox: String
    private let skipped: String?
    private let descriptor: Int32
    private let pipe: WakePipe
    /// The folder of each watch, relative to the inbox ("" for the inbox itself).
    private var folderByWatch: [Int32: String] = [:]

    private static let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE)
        | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM) | UInt32(IN_ONLYDIR) | UInt32(IN_DONT_FOLLOW)
        | UInt32(IN_EXCL_UNLINK)

    /// Watches `inbox` and its folders; `skipping` is a folder not to watch (the output folder).
    public init(inbox: String, skipping: String?) throws {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw WatchError(.io, "\(inbox): cannot start inotify (inotify_init1: "
                             + "\(String(cString: strerror(errno)))); raise the "
                             + "fs.inotify.max_user_instances limit")
        }
        let pipe = try WakePipe()
        self.inbox = inbox
        self.skipped = skipping.map(CaseDiscovery.canonical)
        self.descriptor = descriptor
        self.pipe = pipe
        waker = FileEventWaker { pipe.wake() }
        guard addWatches(under: "") else {
            throw WatchError(.io, "\(inbox): cannot watch the folder: \(fallbackReason ?? "")")
        }
    }

    deinit {
        close(descriptor)
    }

    public func wait(timeout: Double) throws -> [FileEvent] {
        guard pipe.poll(descriptor, timeout: timeout) else { return [] }
        var events: [FileEvent] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            parse(buffer[..<count], into: &events)
        }
        return events
    }

    /// Decodes `struct inotify_event` records: wd, mask, cookie, len (4 bytes each), then a
    /// NUL-padded name of `len` bytes.
    private func parse(_ bytes: ArraySlice<UInt8>, into events: inout [FileEvent]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 16 <= raw.count {
                let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + 16)..<min(raw.count, offset + 16 + length)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                offset += 16 + length
                handle(watch: watch, mask: mask, name: name, into: &events)
            }
        }
    }

    private func handle(watch: Int32, mask: UInt32, name: String,
                        into events: inout [FileEvent]) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            events.append(.overflow)
            return
        }
        if mask & UInt32(IN_IGNORED) != 0 {
            folderByWatch[watch] = nil
            return
        }
        guard let folder = folderByWatch[watch], !name.isEmpty else { return }
        let relative = folder.isEmpty ? name : folder + "/" + name
        let arrived = mask & (UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) != 0
        let left = mask & (UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)) != 0
        if mask & UInt32(IN_ISDIR) != 0 {
            if arrived, !name.hasPrefix(".") {
                _ = addWatches(under: relative)
                events.append(.folder(relative))
            } else if left {
                removeWatches(under: relative)
                events.append(.removed(relative))
            }
        } else if mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) != 0 {
            events.append(.file(relative))
        } else if mask & UInt32(IN_CREATE) != 0, isLinkedIn(relative) {
            events.append(.file(relative))
        } else if left {
            events.append(.removed(relative))
        }
    }

    /// Whether a file just created is a symlink or a hard link to an existing file: complete
    /// at once, and never followed by `IN_CLOSE_WRITE` (a file created empty and written is,
    /// and is reported then).
    private func isLinkedIn(_ relative: String) -> Bool {
        var info = stat()
        guard lstat((inbox as NSString).appendingPathComponent(relative), &info) == 0 else {
            return false
        }
        let type = info.st_mode & S_IFMT
        return type == S_IFLNK || (type == S_IFREG && info.st_nlink > 1)
    }

    /// Watches the folder `relative` and every folder below it; false (and polling from now
    /// on) when the kernel refused one.
    private func addWatches(under relative: String) -> Bool {
        var pending = [relative]
        while let folder = pending.popLast() {
            let path = folder.isEmpty ? inbox : (inbox as NSString).appendingPathComponent(folder)
            if let skipped, !folder.isEmpty, CaseDiscovery.canonical(path) == skipped { continue }
            let watch = inotify_add_watch(descriptor, path, Self.mask)
            guard watch >= 0 else {
                let code = errno
                // A folder removed or replaced meanwhile is simply not there to watch.
                if code == ENOENT || code == ENOTDIR { continue }
                isPolling = true
                fallbackReason = "\(path): inotify_add_watch: \(String(cString: strerror(code)))"
                    + (code == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "")
                    + "; rescanning the inbox instead"
                return false
            }
            folderByWatch[watch] = folder
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                continue
            }
            for name in names where !name.hasPrefix(".") {
                var info = stat()
                let child = (path as NSString).appendingPathComponent(name)
                if lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                    pending.append(folder.isEmpty ? name : folder + "/" + name)
                }
            }
        }
        return true
    }

    /// Stops watching `relative` and the folders below it (removed or moved away).
    private func removeWatches(under relative: String) {
        for (watch, folder) in folderByWatch
            where folder == relative || folder.hasPrefix(relative + "/") {
            inotify_rm_watch(descriptor, watch)
            folderByWatch[watch] = nil
        }
    }
}
#endif
