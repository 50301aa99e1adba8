import Foundation
import ImageCodecs
import Reports
import SafeFiles
import StrictJSON

/// Why reports could not be made.
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The folder has no `run.json`: it is not an output folder of `equiscan run`.
        case missing
        /// `run.json` is not a run record this version reads.
        case invalid
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }
}

/// The one entry point that (re)writes an output folder's reports, `OUT/reports/`: called by
/// `equiscan run` when a run ends, by `equiscan merge`, by `equiscan report OUT`, and by
/// watch mode as cases finish. It reads `run.json`, the ledger (attempts per case) and the
/// records under `results/`, never runs a model, and holds at most one case's pictures at a
/// time (`ReportBuilder`).
public enum ReportWriter {
    /// Writes `predictions.csv`, `failures.csv`, `summary.json` and `report.html` under
    /// `outputFolder/reports`.
    ///
    /// `ledger`: the folder's ledger when the caller holds it open (a run or a watcher);
    /// without it the ledger is opened when the folder has one.
    ///
    /// Throws `ReportError` when `run.json` is missing or unreadable, `LedgerError` when the
    /// ledger cannot be read, and `SafeFileError` when a report cannot be written.
    @discardableResult
    public static func refresh(outputFolder: String, ledger: RunLedger? = nil) throws
        -> ReportOutcome {
        let manifest = try readManifest(outputFolder)
        // The document passed validation when the run started; parsing it again gives its
        // report settings and LoadImage's options (defaults if it somehow does not parse).
        var problems: [ConfigError] = []
        let spec = PipelineSpec.parse(ConfigNode(value: manifest.pipeline.resolved),
                                      problems: &problems)
        let settings = spec?.report ?? .defaults
        let load = spec?.stages.first { $0.op == .loadImage }
        let options = DecodeOptions(
            page: load?.parameters["page"].flatMap { value -> Int? in
                if case .integer(let page) = value { return page }
                return nil
            } ?? 0,
            applyOrientation: load?.string("orientation") != "keep")
        let segmenter = manifest.models.last {
            $0.stage.hasSuffix(" " + StageOp.segment.rawValue)
        }
        let pictures = ReportPictures(outputFolder: outputFolder, settings: settings,
                                      decodeOptions: options,
                                      maskLabels: segmenter?.outputs ?? [])
        let builder = ReportBuilder(outputFolder: outputFolder, manifest: manifest,
                                    settings: settings,
                                    attempts: try attempts(outputFolder, ledger: ledger))
        return try builder.write(pictures: pictures.pictures)
    }

    static func readManifest(_ outputFolder: String) throws -> RunManifest {
        let path = (outputFolder as NSString).appendingPathComponent("run.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportError(kind: .missing, message: "\(path): missing; \(outputFolder) is "
                              + "not the output folder of equiscan run")
        }
        do {
            return try JSONDecoder().decode(RunManifest.self, from: data)
        } catch {
            throw ReportError(kind: .invalid, message: "\(path): not a run record of this "
                              + "version of EquiScan; rerun the pipeline into a new folder")
        }
    }

    /// Attempts per case from `ledger`, else from the folder's ledger; empty when it has none
    /// (a ledger is never created just to be read).
    static func attempts(_ outputFolder: String, ledger: RunLedger?) throws -> [String: Int] {
        let file = ((outputFolder as NSString).appendingPathComponent(RunLedger.folderName)
                    as NSString).appendingPathComponent(RunLedger.fileName)
        guard ledger != nil || FileManager.default.fileExists(atPath: file) else { return [:] }
        let entries = try (ledger ?? RunLedger.open(outputFolder: outputFolder)).entries()
        return Dictionary(entries.map { ($0.key.caseID, $0.attempts) }, uniquingKeysWith: { $1 })
    }
}
