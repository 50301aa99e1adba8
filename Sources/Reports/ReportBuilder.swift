import Foundation
import SafeFiles

/// What `ReportBuilder.write` wrote.
public struct ReportOutcome: Sendable, Equatable {
    /// `OUT/reports`.
    public var folder: String
    /// Cases in the reports.
    public var cases: Int
    public var failed: Int
    /// Cases the orbit check flagged.
    public var flagged: Int
    /// Record files under `OUT/results` that are not case records (left out, listed in the
    /// page), relative to the output folder.
    public var unreadable: [String]
}

/// Writes the reports of an output folder, `OUT/reports/{predictions.csv, failures.csv,
/// summary.json, report.html}`, from its `run.json` and every record under `OUT/results`.
///
/// Records are read one at a time, in case-id order, twice: once for the tables, summary and
/// the page's case data, once for the pictures, each made, written and dropped before the
/// next, so memory holds a few numbers per case and one case's pictures at most. Every file
/// is written through `AtomicFile` (the page and the predictions piece by piece), so readers
/// see complete files, old or new. The same folder always gives the same bytes.
public struct ReportBuilder {
    /// The reports' folder inside the output folder.
    public static let folderName = "reports"

    public let outputFolder: String
    public let manifest: RunManifest
    public let settings: ReportSettings
    /// How many times the ledger saw each case started, by case id.
    public let attempts: [String: Int]

    public init(outputFolder: String, manifest: RunManifest, settings: ReportSettings,
                attempts: [String: Int]) {
        self.outputFolder = outputFolder
        self.manifest = manifest
        self.settings = settings
        self.attempts = attempts
    }

    /// Writes the four reports; `pictures` gives each case's scan and overlay pictures.
    public func write(pictures: (CaseRecord) -> CasePictures) throws -> ReportOutcome {
        let folder = join(outputFolder, Self.folderName)
        do {
            try OutputModes.createFolder(folder)
        } catch {
            throw SafeFileError(.io, path: folder, "cannot create the reports folder")
        }
        let ids = Self.caseIDs(outputFolder: outputFolder)
        let table = PredictionsTable(models: manifest.models, settings: settings)
        var summary = SummaryBuilder(manifest: manifest, settings: settings)
        var entries: [String] = []
        var failures: [(record: CaseRecord, attempts: Int?)] = []
        var unreadable: [String] = []
        var readable: [String] = []
        try AtomicFile.write(to: join(folder, "predictions.csv")) { sink in
            try sink.write(CSVTable.line(table.header))
            for id in ids {
                guard let record = read(id) else {
                    unreadable.append(CaseRecord.relativePath(forCase: id))
                    continue
                }
                try sink.write(CSVTable.line(table.row(record)))
                summary.add(record)
                entries.append(ReportPage.scriptJSON(
                    CaseEntry(record, index: readable.count, settings: settings)))
                readable.append(id)
                if record.status == .failed { failures.append((record, attempts[record.case])) }
            }
        }
        try AtomicFile.write(CSVTable.line(FailuresTable.header) + failures.map {
            CSVTable.line(FailuresTable.row($0.record, attempts: $0.attempts))
        }.joined(), to: join(folder, "failures.csv"))
        let result = summary.summary()
        try AtomicFile.writeJSON(result, to: join(folder, "summary.json"))
        let page = ReportPage(manifest: manifest, settings: settings, summary: result,
                              charts: summary.charts(), table: table)
        try AtomicFile.write(to: join(folder, "report.html")) { sink in
            try sink.write(page.opening(failures: failures, unreadable: unreadable))
            try sink.write(page.caseData(entries))
            entries = []
            for (index, id) in readable.enumerated() {
                guard let record = read(id) else { continue }
                try sink.write(page.pictureBlocks(pictures(record), index: index))
            }
            try sink.write(ReportPage.closing)
        }
        return ReportOutcome(folder: folder, cases: result.counts.cases,
                             failed: result.counts.failed, flagged: result.counts.flagged,
                             unreadable: unreadable)
    }

    /// The ids of the records under `outputFolder/results`, sorted: every `.json` file's path
    /// relative to that folder, without the extension; hidden files (temporary files of
    /// writes in progress) and hidden folders are skipped.
    public static func caseIDs(outputFolder: String) -> [String] {
        let results = (outputFolder as NSString).appendingPathComponent("results")
        guard let walker = FileManager.default.enumerator(atPath: results) else { return [] }
        var ids: [String] = []
        while let path = walker.nextObject() as? String {
            guard path.hasSuffix(".json"),
                  !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else {
                continue
            }
            ids.append(String(path.dropLast(".json".count)))
        }
        return ids.sorted()
    }

    /// The record of case `id`, nil when its file is missing or not a record.
    func read(_ id: String) -> CaseRecord? {
        let path = join(outputFolder, CaseRecord.relativePath(forCase: id))
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(CaseRecord.self, from: data)
    }

    private func join(_ folder: String, _ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }
}
