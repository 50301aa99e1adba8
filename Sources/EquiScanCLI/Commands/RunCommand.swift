import ArgumentParser
import Foundation
import PipelineEngine

/// `equiscan run -p PIPELINE -i INPUT... -o OUT`: the product's main job.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline over folders of scans.",
        discussion: """
            Validates the pipeline (as `equiscan validate` does) before any scan is read, \
            finds the cases in the inputs (files as given; folders searched recursively for \
            files matching the pipeline's inputs.include), and runs the stages on each, \
            --jobs cases at a time. Every case gets OUT/results/CASE.json (CASE: its path \
            relative to the input folder, without extension); written files mirror the input \
            tree under OUT; OUT/run.json records the pipeline, models, host and counts. \
            When the run ends it writes OUT/reports/ (predictions.csv, failures.csv, \
            summary.json, report.html; see `equiscan report`). With "report": \
            {"orbitCheck": true} in the pipeline, every Classify and Segment stage also runs \
            under each element of its model's group, and cases whose predictions differ are \
            flagged. Nothing is ever written over an input, and every file is written under \
            a temporary name and renamed when complete.

            A failed case (unreadable, wrong size, NaN from a model…) is recorded with its \
            stage and reason, and the others go on. A rerun into the same OUT skips cases \
            whose complete results came from the same input bytes, pipeline and models \
            (OUT/.equiscan/ledger.sqlite), and redoes the rest; --overwrite redoes all.

            Sharding: --shard i/n runs the cases whose id hashes to shard i of n; Slurm job \
            arrays (SLURM_ARRAY_TASK_ID, _MIN, _COUNT) and Kubernetes Indexed Jobs \
            (JOB_COMPLETION_INDEX with --shard-count or EQUISCAN_SHARD_COUNT) set it from \
            the environment. Combine shard folders with `equiscan merge`.

            Exit status: 0 every case ok; 2 some cases failed; 64 usage; 65 invalid \
            pipeline; 66 no input; 75 interrupted (SIGINT/SIGTERM: cases in flight are \
            abandoned with no partial file; a rerun finishes the batch) or OUT not writable.
            """)

    @Option(name: [.short, .customLong("pipeline")], help: "The pipeline JSON file.")
    var pipeline: String

    @Option(name: [.short, .customLong("input")],
            help: "A scan or a folder of scans (repeat for several).")
    var inputs: [String] = []

    @Option(name: [.short, .customLong("output")], help: "The output folder (created).")
    var output: String

    @Option(help: "Cases processed at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Redo every case, even those an identical earlier run completed.")
    var overwrite = false

    @Option(help: ArgumentHelp("Run only shard i of n (0 ≤ i < n) of the cases.",
                               valueName: "i/n"))
    var shard: String?

    @Option(help: "Shard count for Kubernetes Indexed Jobs (with JOB_COMPLETION_INDEX).")
    var shardCount: Int?

    @Option(help: ArgumentHelp("Seconds a case may take before it fails as timed out "
                               + "(default: the pipeline's limits.caseTimeoutSeconds, else none).",
                               valueName: "seconds"))
    var caseTimeout: Double?

    @Option(help: "Progress and case lines as text, or JSON lines (text|json).")
    var logFormat: RunLogFormat = .text

    func validate() throws {
        if inputs.isEmpty {
            throw ValidationError("give at least one input with -i (a scan or a folder)")
        }
        if let jobs, jobs < 1 {
            throw ValidationError("--jobs must be at least 1, got \(jobs)")
        }
        if let caseTimeout, !(caseTimeout > 0) || !caseTimeout.isFinite {
            throw ValidationError("--case-timeout must be a positive number of seconds")
        }
    }

    /// The plan of the pipeline file at `path`, validated as `equiscan validate` does; every
    /// problem printed and exit 65 when it is invalid (notes on deprecated keys printed too).
    static func validatedPlan(_ path: String) throws -> PipelinePlan {
        let validation = try PipelineValidation.validate(path: path)
        ValidateCommand.printNotices(validation)
        guard let plan = validation.plan else {
            for problem in validation.problems {
                ErrorReporter.printError(ErrorReporter.oneLine(problem.description))
            }
            throw SilentExit(status: .dataError)
        }
        return plan
    }

    func run() throws {
        let plan = try Self.validatedPlan(pipeline)
        let selection = try ShardSelection.resolve(
            option: shard, shardCount: shardCount,
            environment: ProcessInfo.processInfo.environment)
        var request = RunRequest(
            plan: plan, pipelineFile: pipeline, inputs: inputs, outputFolder: output,
            jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, overwrite: overwrite,
            shard: selection, toolName: "equiscan", toolVersion: Version.text)
        request.caseTimeout = caseTimeout
        let progress = RunProgress(format: logFormat, outputFolder: output)
        let summary = try RunExecutor(request).run { event in progress.handle(event) }
        progress.finish(summary)
        if summary.counts.failed > 0 {
            throw SilentExit(status: .someCasesFailed)
        }
    }
}

/// How `run` reports progress.
enum RunLogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
