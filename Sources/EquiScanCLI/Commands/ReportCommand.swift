import ArgumentParser
import PipelineEngine
import Reports

/// `equiscan report OUT`: the reports of an output folder, made again from its records.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the reports of a run's output folder again, without running a model.",
        discussion: """
            Reads OUT/run.json, the ledger (attempts per case) and every record under \
            OUT/results, and writes OUT/reports/: predictions.csv (one row per case), \
            failures.csv (case, stage, error, attempts), summary.json (counts, class \
            distribution, area statistics, poses, timings, provenance) and report.html (one \
            self-contained page: charts, a sortable, filterable case table with thumbnails, \
            each case's scan, canonical pose and overlay; research use only). equiscan run \
            and equiscan merge write the same reports when they finish; this command makes \
            them again, for example after records were added or the inputs moved back. \
            Pictures come from the input scans (shown only when unchanged since the run) \
            and the saved masks. Run it from the folder the run was started in when the \
            inputs were given as relative paths.

            Exit status: 0 written; 66 OUT has no run.json; 65 run.json is not readable; \
            75 a report could not be written.
            """)

    @Argument(help: "The output folder of `equiscan run` (or of `equiscan merge`).")
    var output: String

    func run() throws {
        let outcome = try ReportWriter.refresh(outputFolder: output)
        for record in outcome.unreadable {
            ErrorReporter.printError("\(output)/\(record): not a case record; left out of the "
                                     + "reports")
        }
        var line = "reports of \(outcome.cases) case\(outcome.cases == 1 ? "" : "s") "
            + "(\(outcome.failed) failed"
        if outcome.flagged > 0 { line += ", \(outcome.flagged) flagged by the orbit check" }
        print(line + ") in \(outcome.folder)/: predictions.csv, failures.csv, summary.json, "
              + "report.html")
    }
}
