import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `equiscan bench watch`: how fast `equiscan watch` turns a dropped file into its result.
///
/// Starts `equiscan watch` as a child process on an empty inbox with the `bench pipeline`
/// pipeline and scans (256×256 RGB PNG; decode → canonicalize → classify), lets each worker
/// load its models on a first case, then
/// - latency: drops `files` scans one at a time (a rename into the inbox, so each is complete
///   and stable the moment it appears), waiting for each result; latency is the result's
///   modification time minus the drop minus `settle` (the settle time is the user's choice,
///   not the watcher's cost): median and 95th percentile;
/// - throughput: drops `files` more at once and reports files per second from the moment
///   they became stable (drop + settle) to the last result.
/// Finally stops the watcher with SIGTERM, which must end it with status 0.
struct BenchWatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Measure `equiscan watch`: latency stable → result, sustained files/s.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Folder of the sample model packages (default samples/models).")
    var models = "samples/models"

    @Option(name: .long, help: "Files of the latency run and of the burst (default 200).")
    var files = 200

    @Option(name: .long, help: "The watcher's --settle in seconds (default 0.2).")
    var settle = 0.2

    @Option(name: .long, help: "The watcher's --jobs (default: the number of cores).")
    var jobs: Int?

    func validate() throws {
        guard files >= 2, settle >= 0 else {
            throw ValidationError("need --files ≥ 2 and --settle ≥ 0")
        }
    }

    struct Latency: Codable {
        var medianMs: Double
        var p95Ms: Double
        var maxMs: Double
    }

    struct Burst: Codable {
        var files: Int
        var seconds: Double
        var filesPerSecond: Double
    }

    struct Report: Codable {
        var benchmark = "watch"
        var pipeline = BenchPipelineCommand.pipelineDescription
        var files: Int
        var settleSeconds: Double
        var jobs: Int
        /// Result written minus (drop + settle), one file at a time.
        var latency: Latency
        /// Files dropped at once, from stable to the last result.
        var sustained: Burst
        var exitStatus: Int32
        var cores: Int
    }

    func run() throws {
        let work = try BenchPipelineCommand.workFolder("watch")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pipeline = try BenchPipelineCommand.writePipeline(in: work, models: models)
        let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let source = try BenchPipelineCommand.writeCases(2 * files + jobs, in: work + "/src")
        let inbox = work + "/in"
        let out = work + "/out"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let watcher = try startWatcher(["watch", "-p", pipeline, "-i", inbox, "-o", out,
                                        "--settle", String(settle), "--jobs", String(jobs),
                                        "--log-format", "json"])

        // Warm-up: every worker loads its models on its first case.
        for index in (2 * files)..<(2 * files + jobs) {
            _ = try drop(index, from: source, into: inbox)
        }
        for index in (2 * files)..<(2 * files + jobs) {
            _ = try waitForResult(index, in: out, watcher: watcher.process)
        }
        var latencies: [Double] = []
        for index in 0..<files {
            let dropped = try drop(index, from: source, into: inbox)
            let written = try waitForResult(index, in: out, watcher: watcher.process)
            latencies.append(written - dropped - settle)
        }
        var firstDrop = Double.infinity
        for index in files..<(2 * files) {
            firstDrop = min(firstDrop, try drop(index, from: source, into: inbox))
        }
        var lastResult = 0.0
        for index in files..<(2 * files) {
            lastResult = max(lastResult, try waitForResult(index, in: out,
                                                           watcher: watcher.process))
        }
        kill(watcher.process.processIdentifier, SIGTERM)
        watcher.process.waitUntilExit()

        latencies.sort()
        let burstSeconds = lastResult - firstDrop - settle
        let report = Report(
            files: files, settleSeconds: settle, jobs: jobs,
            latency: Latency(medianMs: 1000 * latencies[latencies.count / 2],
                             p95Ms: 1000 * latencies[min(latencies.count - 1,
                                                         latencies.count * 95 / 100)],
                             maxMs: 1000 * (latencies.last ?? 0)),
            sustained: Burst(files: files, seconds: burstSeconds,
                             filesPerSecond: Double(files) / burstSeconds),
            exitStatus: watcher.process.terminationStatus,
            cores: ProcessInfo.processInfo.activeProcessorCount)
        if json {
            try BenchPipelineCommand.printJSON(report)
            return
        }
        print(String(format: "latency stable → result over %d files: median %.1f ms, p95 %.1f ms "
                     + "(settle %.2f s excluded, %d jobs)", files, report.latency.medianMs,
                     report.latency.p95Ms, settle, jobs))
        print(String(format: "sustained: %d files in %.2f s, %.1f files/s; watcher exit %d",
                     files, burstSeconds, report.sustained.filesPerSecond,
                     report.exitStatus))
    }

    /// The running watcher, once it has said it is watching.
    private func startWatcher(_ arguments: [String]) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("\"message\":\"watching\"") {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else {
                let status = process.isRunning ? 0 : process.terminationStatus
                throw CommandFailure(.temporaryFailure, "equiscan watch ended before watching "
                                     + "(status \(status))")
            }
            seen += String(decoding: data, as: UTF8.self)
        }
        // Keep reading, so that the watcher's log never fills the pipe and blocks it.
        let handle = output.fileHandleForReading
        Thread.detachNewThread { while !handle.availableData.isEmpty {} }
        return (process, output)
    }

    /// Renames scan `index` into the inbox; the time it appeared there (seconds since 1970).
    /// A rename, not `AtomicFile`: the bench's own finished file appears in its own temporary
    /// inbox in one step, as a scanner's atomic drop does, so no write time is measured.
    private func drop(_ index: Int, from source: String, into inbox: String) throws -> Double {
        let name = "/case-\(index).png"
        guard rename(source + name, inbox + name) == 0 else {
            throw CommandFailure(.temporaryFailure, "\(inbox + name): cannot drop the bench scan")
        }
        return Date().timeIntervalSince1970
    }

    /// Waits for the record of scan `index`; its modification time (seconds since 1970).
    private func waitForResult(_ index: Int, in out: String, watcher: Process) throws -> Double {
        let path = out + "/results/case-\(index).json"
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, watcher.isRunning {
            var info = stat()
            if stat(path, &info) == 0 {
                return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            }
            usleep(500)
        }
        throw CommandFailure(.temporaryFailure, "\(path): no result from equiscan watch")
    }
}
