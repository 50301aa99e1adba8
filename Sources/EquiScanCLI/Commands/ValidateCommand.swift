import ArgumentParser
import Foundation
import PipelineEngine
import StrictJSON

/// `equiscan validate PIPELINE [--json]`: checks a pipeline file without running it.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file without running it.",
        discussion: """
            Parses the file, resolves stage references, loads and verifies every model \
            package, and checks that each stage fits the ones before it; no scan is read. \
            Every problem is reported, in file order, as FILE:LINE:COL /json/pointer message. \
            Exit status: 0 when valid; 65 when not; 66 when the file cannot be read.
            """)

    @Argument(help: "The pipeline JSON file.")
    var pipeline: String

    @Flag(help: "Print one JSON object {valid, problems} instead of lines.")
    var json = false

    func run() throws {
        let validation = try PipelineValidation.validate(path: pipeline)
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
        }
        let report = Report(valid: validation.isValid, problems: validation.problems.map {
            Problem(file: $0.file, line: $0.position?.line, column: $0.position?.column,
                    pointer: $0.path.pointer, message: $0.message)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
