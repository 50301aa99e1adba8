import Foundation

/// The one place the CLI writes to the standard streams other than through `print`.
///
/// Glibc declares `stdout` and `stderr` as mutable C globals, which Swift 6 cannot prove free
/// of races, so they are not named here: standard error is written through its file handle
/// (the C stream is unbuffered, so every `fputs` to it was one `write(2)` as well), and the
/// output `print` buffers is flushed with `fflush(nil)`, which flushes every C output stream.
enum StandardStreams {
    /// Writes `text` to standard error at once. A failed write is ignored, as `fputs`'s was:
    /// there is nowhere left to report it.
    static func writeError(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    /// Sends what `print` has buffered to standard output now.
    static func flushOutput() {
        fflush(nil)
    }
}
