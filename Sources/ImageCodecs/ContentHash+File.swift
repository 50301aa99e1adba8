#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SafeFiles

extension ContentHash {
    /// Bytes read per step: large enough that system calls do not dominate, small enough that
    /// hashing a multi-gigabyte slide never holds it in memory.
    static let fileChunkSize = 256 * 1024

    /// The SHA-256 of the file at `path` in hexadecimal, read in 256 KiB pieces.
    ///
    /// Throws a `SafeFileError` (`.io`) naming `path` when it cannot be opened, is not a regular
    /// file, or a read fails.
    public static func hex(fileAt path: String) throws -> String {
        func failure(_ what: String) -> SafeFileError {
            SafeFileError(.io, path: path, "\(what): \(String(cString: strerror(errno)))")
        }
        guard let file = fopen(path, "rb") else { throw failure("cannot open") }
        defer { fclose(file) }
        var status = stat()
        guard fstat(fileno(file), &status) == 0 else { throw failure("cannot stat") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SafeFileError(.io, path: path, "not a regular file")
        }
        var hasher = Hasher()
        var buffer = [UInt8](repeating: 0, count: fileChunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { chunk in
                fread(chunk.baseAddress, 1, chunk.count, file)
            }
            if count > 0 {
                buffer.withUnsafeBytes { bytes in
                    hasher.update(UnsafeRawBufferPointer(rebasing: bytes[..<count]))
                }
            }
            if count < buffer.count {
                guard ferror(file) == 0 else { throw failure("cannot read") }
                break
            }
        }
        return hasher.finalize()
    }
}
