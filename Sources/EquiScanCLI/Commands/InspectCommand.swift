import ArgumentParser
import Foundation
import ImageCodecs

/// `equiscan inspect FILE... [--json] [--page N] [--keep-orientation]`: decodes each file and
/// reports format, geometry, sample type, metadata and a SHA-256 of the decoded samples.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Decode scans and report format, geometry, sample type and a sample hash.",
        discussion: """
            Every file is processed, in argument order, even when some fail. Exit status: 0 \
            when all files decode; 2 when some decode and some fail; when none decode, 66 if \
            every failure is a file that cannot be read, else 65 (not a valid image, or the \
            page does not exist).
            """)

    @Argument(help: "PNG, JPEG or TIFF files (the format comes from the magic bytes).")
    var files: [String]

    @Flag(help: "Print one JSON array with one object per file instead of a table.")
    var json = false

    @Option(help: "Zero-based page to decode (TIFF pages; PNG and JPEG have page 0 only).")
    var page = 0

    @Flag(help: "Keep the stored orientation instead of applying the EXIF/TIFF Orientation.")
    var keepOrientation = false

    func validate() throws {
        if files.isEmpty {
            throw ValidationError("expected at least one FILE to inspect")
        }
        if page < 0 {
            throw ValidationError("--page must be 0 or more, got \(page)")
        }
    }

    func run() throws {
        let options = DecodeOptions(page: page, applyOrientation: !keepOrientation)
        var reports: [ScanReport] = []
        var failureStatuses: [ExitStatus] = []
        for file in files {
            do {
                reports.append(try Inspection.inspect(path: file, options: options))
            } catch {
                let (status, message) = ErrorReporter.caseFailure(error, command: "inspect")
                reports.append(ScanReport(file: file, error: message))
                failureStatuses.append(status)
                ErrorReporter.printError(message)
            }
        }
        if json {
            try printJSON(reports)
        } else {
            print(Self.table(reports), terminator: "")
        }
        if let status = ErrorReporter.batchStatus(cases: files.count,
                                                  failures: failureStatuses) {
            throw SilentExit(status: status)
        }
    }

    private func printJSON(_ reports: [ScanReport]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(reports)
        print(String(decoding: data, as: UTF8.self))
    }

    /// A fixed-width table, one row per file; failures show their message in place of the
    /// columns. The hash is shortened to 16 hex digits (`--json` gives all 64).
    static func table(_ reports: [ScanReport]) -> String {
        let header = ["FILE", "FORMAT", "SIZE", "CH", "TYPE", "BITS", "PAGES",
                      "PIXEL SIZE (mm)", "ORIENTATION", "SHA-256 (samples)"]
        var rows: [[String]] = []
        var failures: [(Int, String)] = []
        for report in reports {
            guard let d = report.details else {
                failures.append((rows.count, report.error ?? "unknown error"))
                rows.append([report.file])
                continue
            }
            let pixelSize = d.pixelSize.map { "\(format($0.x)) x \(format($0.y))" } ?? "-"
            let orientation: String
            if let value = d.orientation.value {
                orientation = "\(value) (" + (d.orientation.applied ? "applied" : "kept") + ")"
            } else {
                orientation = "-"
            }
            rows.append([report.file, d.format.rawValue, "\(d.width)x\(d.height)",
                         "\(d.channels)", d.sampleType.rawValue, "\(d.bitsPerSample)",
                         "\(d.pages)", pixelSize, orientation,
                         String(d.samplesSHA256.prefix(16))])
        }
        var widths = header.map(\.count)
        for row in rows where row.count == header.count {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell
                    : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n"
        let failureByRow = Dictionary(failures, uniquingKeysWith: { first, _ in first })
        for (index, row) in rows.enumerated() {
            if let message = failureByRow[index] {
                out += row[0] + "  ERROR: " + message + "\n"
            } else {
                out += line(row) + "\n"
            }
        }
        return out
    }

    /// Millimetres with up to 6 significant decimals, trailing zeros dropped.
    private static func format(_ value: Double) -> String {
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
