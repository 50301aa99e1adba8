#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A glob of a pipeline's `inputs.include` / `inputs.exclude`, matched against a case's path
/// relative to its input folder.
///
/// Segments are separated by `/`; `**` as a whole segment matches zero or more folders; other
/// segments match one name with `fnmatch(3)` rules (`*`, `?`, `[...]`), ignoring letter case so
/// that `*.png` also finds `SCAN.PNG` from scanners that write upper-case names.
public struct GlobPattern: Sendable, Equatable {
    public let text: String
    private let segments: [String]

    public init(_ text: String) {
        self.text = text
        segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Whether `relativePath` (segments separated by `/`) matches.
    public func matches(_ relativePath: String) -> Bool {
        let names = relativePath.split(separator: "/", omittingEmptySubsequences: true)
            .map(String.init)
        return Self.match(segments[...], names[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ names: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return names.isEmpty }
        if first == "**" {
            // Zero folders, or one more folder consumed by the same `**`.
            if match(pattern.dropFirst(), names) { return true }
            return !names.isEmpty && match(pattern, names.dropFirst())
        }
        guard let name = names.first, segment(first, matches: name) else { return false }
        return match(pattern.dropFirst(), names.dropFirst())
    }

    private static func segment(_ pattern: String, matches name: String) -> Bool {
        // FNM_CASEFOLD (a GNU and BSD extension) is 1 << 4 on both.
        fnmatch(pattern, name, 1 << 4) == 0
    }
}
