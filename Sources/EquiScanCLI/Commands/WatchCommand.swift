import ArgumentParser
import Foundation
import PipelineEngine
import SafeFiles

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `equiscan watch -p PIPELINE -i INBOX -o OUT`: a hot folder.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Process every scan dropped into a folder, once, as it arrives.",
        discussion: """
            Validates the pipeline, takes the backlog of INBOX, then follows new files \
            (inotify on Linux, including new subfolders and files moved in, plus a rescan \
            every --rescan seconds as a safety net; rescans every second where inotify is \
            missing). A file is taken once its size and modification time have not changed \
            for --settle seconds; hidden names, *.tmp, *.part and *.partial are never taken, \
            nor files the pipeline's inputs.include does not select; with --ready-sentinel, \
            only files with a NAME.ready beside them. Results are those of `equiscan run` \
            into OUT (same case ids, records, ledger): a file dropped again with the same \
            content is skipped, a file replaced with new content is redone.

            A failed case keeps its record in OUT/results/ and is tried again after \
            --retry-delay seconds, up to --retries times; then the file is moved to \
            OUT/quarantine/ (its path relative to INBOX kept) with NAME.error.json beside \
            it (stage, reason, attempts, times), and the watcher goes on. --after move \
            moves processed inputs to OUT/processed/ (never over a file), --after delete \
            deletes them once their results are complete. A file named HALT in INBOX \
            pauses intake until it is removed. One watcher per OUT: a second exits 75 \
            naming the first one's pid and host. `equiscan status OUT` shows the counts.

            SIGINT/SIGTERM stop intake, finish the cases in flight and exit 0 (a second \
            signal abandons them and exits 75). --once processes what is in INBOX and exits: \
            0, or 2 when a file was quarantined. Other statuses: 64 usage; 65 invalid \
            pipeline; 66 no INBOX; 75 OUT watched by another process or not writable.
            """)

    @Option(name: [.short, .customLong("pipeline")], help: "The pipeline JSON file.")
    var pipeline: String

    @Option(name: [.short, .customLong("input")], help: "The inbox folder to watch.")
    var inbox: String

    @Option(name: [.short, .customLong("output")], help: "The output folder (created).")
    var output: String

    @Option(help: "Seconds a file must stay unchanged before it is taken.")
    var settle: Double = 2

    @Option(help: "Cases processed at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Process the files in the inbox, then exit (for cron and CI).")
    var once = false

    @Option(help: "What to do with an input once processed.")
    var after: AfterProcessing = .leave

    @Option(help: "Attempts after the first failure before quarantine.")
    var retries = 2

    @Option(help: "Seconds between attempts at a failed case.")
    var retryDelay: Double = 10

    @Option(help: "Seconds between full rescans of the inbox.")
    var rescan: Double = 30

    @Option(help: ArgumentHelp("Seconds a case may take before it fails as timed out.",
                               valueName: "seconds"))
    var caseTimeout: Double = 300

    @Flag(help: "Take a file only once NAME.ready lies beside it.")
    var readySentinel = false

    @Option(help: "Case lines as text, or JSON lines.")
    var logFormat: RunLogFormat = .text

    func validate() throws {
        if let jobs, jobs < 1 {
            throw ValidationError("--jobs must be at least 1, got \(jobs)")
        }
        for (name, value) in [("--settle", settle), ("--retry-delay", retryDelay)]
            where !(value >= 0 && value.isFinite) {
            throw ValidationError("\(name) must be a number of seconds ≥ 0, got \(value)")
        }
        if !(caseTimeout > 0 && caseTimeout.isFinite) {
            throw ValidationError("--case-timeout must be a number of seconds > 0")
        }
        if !(rescan > 0 && rescan.isFinite) {
            throw ValidationError("--rescan must be a number of seconds > 0, got \(rescan)")
        }
        if retries < 0 {
            throw ValidationError("--retries must be at least 0, got \(retries)")
        }
    }

    func run() throws {
        let plan = try RunCommand.validatedPlan(pipeline)
        var configuration = WatchConfiguration(
            inbox: inbox, outputFolder: output,
            rules: IntakeRules(selection: plan.spec.inputs, readySentinel: readySentinel),
            settle: settle, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
            once: once, after: after, retries: retries, retryDelay: retryDelay,
            rescanInterval: rescan)
        configuration.caseTimeout = caseTimeout
        let folder = HotFolder(configuration: configuration, plan: plan, pipelineFile: pipeline,
                               toolName: "equiscan", toolVersion: Version.text)
        let log = WatchLog(format: logFormat)
        let control = folder.control
        InterruptHandling.setGracefulStop { signalNumber in
            log.stopRequested(by: signalNumber == SIGINT ? "SIGINT" : "SIGTERM")
            control.stop()
        }
        let counts = try folder.run { event in log.handle(event) }
        log.finish(counts, outputFolder: output)
        if once, counts.quarantined > 0 {
            throw SilentExit(status: .someCasesFailed)
        }
    }
}

extension AfterProcessing: ExpressibleByArgument {}
