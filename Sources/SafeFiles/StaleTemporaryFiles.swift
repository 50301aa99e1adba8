#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Removes temporary files that a killed EquiScan process left behind (SIGKILL cannot be caught).
///
/// Only our own files are touched: the exact name pattern `.NAME.tmp-PID-XXXXXX`, a regular
/// file owned by this user, and either its writer process is gone and the file has not changed
/// for `deadWriterAge` seconds, or it has not changed for `anyWriterAge` seconds (a PID can be
/// reused, and a folder may be shared with another host whose processes we cannot see).
public enum StaleTemporaryFiles {
    /// Quiet time before a file of a dead writer counts as stale.
    public static let deadWriterAge: TimeInterval = 30
    /// Quiet time after which any of our temporary files counts as stale.
    public static let anyWriterAge: TimeInterval = 3600

    private static let swept = Mutex(Set<String>())

    /// Sweeps `directory` the first time this process writes into it.
    static func removeOnce(in directory: String) {
        let key = URL(fileURLWithPath: directory).standardizedFileURL.path
        let first = swept.withLock { $0.insert(key).inserted }
        if first { remove(in: directory) }
    }

    /// Removes our stale temporary files from `directory`; returns the names removed.
    @discardableResult
    public static func remove(in directory: String, now: Date = Date()) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            return []
        }
        var removed: [String] = []
        for name in names.sorted() {
            guard let pid = TemporaryName.writerProcess(of: name) else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                  info.st_uid == geteuid() else { continue }
            #if canImport(Darwin)
            let modified = Double(info.st_mtimespec.tv_sec)
            #else
            let modified = Double(info.st_mtim.tv_sec)
            #endif
            let age = now.timeIntervalSince1970 - modified
            let writerGone = pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
            if (writerGone && age >= deadWriterAge) || age >= anyWriterAge {
                if unlink(path) == 0 { removed.append(name) }
            }
        }
        return removed
    }
}
