/// Which files of an inbox a watcher takes as cases, by name: those the pipeline's
/// `inputs.include` selects and `inputs.exclude` does not, except files still being written
/// by convention and the watcher's own control files.
///
/// Never taken: hidden names anywhere in the path (a leading `.`: editors' and rsync's
/// temporary files, EquiScan's own `.NAME.tmp-…`), names ending in `.tmp`, `.part` or
/// `.partial` (browsers, curl, scp), `NAME.ready` sentinels, and `HALT` at the top of the
/// inbox. With `readySentinel`, a file is taken only once `NAME.ready` lies beside it (for
/// writers that can create a marker after the data, as many PACS exports do).
public struct IntakeRules: Sendable {
    /// A file of this name at the top of the inbox pauses intake until it is removed.
    public static let haltName = "HALT"
    /// The extension of sentinel files: `scan.png.ready` marks `scan.png` complete.
    public static let sentinelExtension = "ready"
    /// Name endings of files still being written, compared ignoring letter case.
    public static let partialEndings = [".tmp", ".part", ".partial"]

    public let filter: CaseFilter
    public let readySentinel: Bool

    public init(selection: InputSelection, readySentinel: Bool) {
        filter = CaseFilter(selection)
        self.readySentinel = readySentinel
    }

    /// Whether the file at `relativePath` (from the inbox) can be a case by its name alone
    /// (the sentinel, when required, is checked separately: it may come later).
    public func accepts(_ relativePath: String) -> Bool {
        let segments = relativePath.split(separator: "/")
        guard let name = segments.last, !segments.contains(where: { $0.hasPrefix(".") }) else {
            return false
        }
        let lowered = name.lowercased()
        if relativePath == Self.haltName || isSentinel(relativePath)
            || Self.partialEndings.contains(where: { lowered.hasSuffix($0) }) {
            return false
        }
        return filter.selects(relativePath)
    }

    /// Whether `relativePath` names a sentinel (`….ready`).
    public func isSentinel(_ relativePath: String) -> Bool {
        relativePath.lowercased().hasSuffix("." + Self.sentinelExtension)
    }

    /// The sentinel of the file at `relativePath`.
    public static func sentinel(of relativePath: String) -> String {
        relativePath + "." + sentinelExtension
    }

    /// The file a sentinel marks.
    public static func marked(by sentinelPath: String) -> String {
        String(sentinelPath.dropLast(sentinelExtension.count + 1))
    }
}
