import ArgumentParser
import Foundation
import PipelineEngine
import StrictJSON

/// `equiscan validate PIPELINE [--json]`: checks a pipeline file without running it;
/// `equiscan validate --schema` prints the JSON Schema of pipeline files instead.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file without running it.",
        discussion: """
            Parses the file, resolves stage references, loads and verifies every model \
            package, and checks that each stage fits the ones before it; no scan is read. \
            Every problem is reported, in file order, as FILE:LINE:COL /json/pointer message; \
            deprecated keys get a note in the same form (and "notices" with --json). \
            Exit status: 0 when valid; 65 when not; 66 when the file cannot be read. \
            With --schema, prints the JSON Schema of pipeline files (pipelines/schema.json) \
            and reads no file.
            """)

    @Argument(help: "The pipeline JSON file (not with --schema).")
    var pipeline: String?

    @Flag(help: "Print one JSON object {valid, problems} instead of lines.")
    var json = false

    @Flag(help: "Print the JSON Schema of pipeline files instead of checking one.")
    var schema = false

    func validate() throws {
        if schema {
            guard pipeline == nil, !json else {
                throw ValidationError("--schema takes no PIPELINE and no --json")
            }
        } else if pipeline == nil {
            throw ValidationError("Missing expected argument '<pipeline>'")
        }
    }

    func run() throws {
        guard let pipeline else {
            print(PipelineSchema.json(), terminator: "")
            return
        }
        let validation = try PipelineValidation.validate(path: pipeline)
        if !json { Self.printNotices(validation) }
        if json {
            try printJSON(validation)
        } else if let plan = validation.plan {
            print(Self.summary(plan, file: pipeline))
        } else {
            for problem in validation.problems {
                ErrorReporter.printError(ErrorReporter.oneLine(problem.description))
            }
        }
        if !validation.isValid {
            throw SilentExit(status: .dataError)
        }
    }

    /// Each notice (a deprecated key) on standard error as `equiscan: note: FILE:LINE:COL
    /// /pointer message`.
    static func printNotices(_ validation: PipelineValidation) {
        for notice in validation.notices {
            ErrorReporter.printError("note: " + ErrorReporter.oneLine(notice.description))
        }
    }

    /// `FILE: valid pipeline "NAME", N stages: LoadImage → Classify (models: …)`.
    static func summary(_ plan: PipelinePlan, file: String) -> String {
        let ops = plan.stages.map(\.spec.op.rawValue).joined(separator: " → ")
        let models = plan.stages.compactMap { stage in
            stage.model.map { "\($0.metadata.name) \($0.metadata.version)" }
        }
        let count = plan.stages.count
        var line = "\(file): valid pipeline \(JSONValue.escape(plan.spec.name)), \(count) "
            + "stage\(count == 1 ? "" : "s"): \(ops)"
        if !models.isEmpty { line += " (models: \(models.joined(separator: ", ")))" }
        return line
    }

    private func printJSON(_ validation: PipelineValidation) throws {
        struct Problem: Encodable {
            var file: String?
            var line: Int?
            var column: Int?
            var pointer: String
            var message: String
        }
        struct Report: Encodable {
            var valid: Bool
            var problems: [Problem]
            var notices: [Problem]
        }
        let problem = { (error: ConfigError) in
            Problem(file: error.file, line: error.position?.line,
                    column: error.position?.column, pointer: error.path.pointer,
                    message: error.message)
        }
        let report = Report(valid: validation.isValid,
                            problems: validation.problems.map(problem),
                            notices: validation.notices.map(problem))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
