#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole files so that a reader sees either the old file or the complete new one.
enum AtomicFile {
    /// An operating-system failure, with the call that failed and `strerror`'s text.
    struct Failure: Error {
        var message: String
    }

    /// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it to `path`.
    /// The temporary file is removed when anything fails.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let directory: String
        let name: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
            name = String(path[path.index(after: slash)...])
        } else {
            directory = "."
            name = path
        }
        guard !name.isEmpty else {
            throw Failure(message: "'\(path)' names a directory, expected a file path")
        }
        let prefix = directory == "/" ? "/" : directory + "/"
        var template = Array((prefix + "." + name + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer {
            mkstemp($0.baseAddress.unsafelyUnwrapped)
        }
        guard fd >= 0 else { throw failure("cannot create a temporary file in '\(directory)'") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                               as: UTF8.self)
        var closed = false
        do {
            defer { if !closed { close(fd) } }
            // mkstemp creates the file 0600; scans are ordinary data files.
            _ = fchmod(fd, 0o644)
            try bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let n = systemWrite(fd, base + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure("cannot write '\(temporary)'")
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw failure("cannot sync '\(temporary)'") }
            closed = true
            guard close(fd) == 0 else { throw failure("cannot close '\(temporary)'") }
            guard rename(temporary, path) == 0 else {
                throw failure("cannot rename '\(temporary)' to '\(path)'")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer,
                                    _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }

    private static func failure(_ what: String) -> Failure {
        let code = errno
        return Failure(message: "\(what): \(String(cString: strerror(code)))")
    }
}
