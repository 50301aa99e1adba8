import ArgumentParser
import Foundation
import ImageCodecs
import SafeFiles

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `equiscan bench pipeline`: throughput and memory of `equiscan run` itself.
///
/// Writes `cases` 256×256 RGB PNG scans (eight distinct images, each hard-linked under many
/// names so that 1,000 cases cost eight files of disk) and a pipeline decode → canonicalize
/// (orientation-d4, which normalises and scores the luma) → classify (bccd-cells, which
/// resizes and normalises its input), then runs `equiscan run` as a child process: with 1 and
/// 2 jobs for cases per second, and with `--jobs 2` on the small and the large batch for peak
/// resident memory (the child's `ru_maxrss`), which must not grow with the number of cases.
struct BenchPipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Measure `equiscan run`: cases/s with 1 and 2 jobs, peak memory vs cases.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Folder of the sample model packages (default samples/models).")
    var models = "samples/models"

    @Option(name: .long, help: "Cases of the throughput runs and the small batch (default 100).")
    var cases = 100

    @Option(name: .long, help: "Cases of the large batch for the memory check (default 1000).")
    var largeCases = 1000

    func validate() throws {
        guard cases >= 2, largeCases > cases else {
            throw ValidationError("need --cases ≥ 2 and --large-cases > --cases")
        }
    }

    struct Run: Codable {
        var cases: Int
        var jobs: Int
        var seconds: Double
        var casesPerSecond: Double
        var peakRSSMiB: Double
        var exitStatus: Int32
    }

    /// What the bench pipeline does to which scans (`writePipeline`, `writeCases`).
    static let pipelineDescription = "LoadImage(rgb) → CanonicalizeOrientation(orientation-d4) "
        + "→ Classify(bccd-cells), 256×256 RGB PNG"

    struct Report: Codable {
        var benchmark = "pipeline"
        var pipeline = BenchPipelineCommand.pipelineDescription
        var runs: [Run]
        /// cases/s with 2 jobs over cases/s with 1 (target ≥ 1.7).
        var speedup2Jobs: Double
        /// Peak RSS of the large batch over the small one (target ≤ 1.10).
        var memoryRatioLargeToSmall: Double
        var cores: Int
    }

    func run() throws {
        let work = try Self.workFolder("pipeline")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pipeline = try Self.writePipeline(in: work, models: models)
        let small = try Self.writeCases(cases, in: work + "/small")
        let large = try Self.writeCases(largeCases, in: work + "/large")
        var runs: [Run] = []
        for (input, count, jobs) in [(small, cases, 1), (small, cases, 2), (large, largeCases, 2)] {
            let output = work + "/out-\(count)-\(jobs)"
            runs.append(try measure(["run", "-p", pipeline, "-i", input, "-o", output,
                                     "--jobs", String(jobs), "--log-format", "json"],
                                    cases: count, jobs: jobs))
            try? FileManager.default.removeItem(atPath: output)
            guard runs.last?.exitStatus == 0 else {
                throw CommandFailure(.dataError, "equiscan run exited with "
                                     + "\(runs.last?.exitStatus ?? -1) on the bench cases")
            }
        }
        let report = Report(runs: runs,
                            speedup2Jobs: runs[1].casesPerSecond / runs[0].casesPerSecond,
                            memoryRatioLargeToSmall: runs[2].peakRSSMiB / runs[1].peakRSSMiB,
                            cores: ProcessInfo.processInfo.activeProcessorCount)
        if json {
            try Self.printJSON(report)
            return
        }
        for run in runs {
            print(String(format: "%5d cases, %d job%@: %6.1f cases/s, peak RSS %.1f MiB",
                         run.cases, run.jobs, run.jobs == 1 ? "" : "s", run.casesPerSecond,
                         run.peakRSSMiB))
        }
        print(String(format: "2 jobs / 1 job: %.2fx; peak RSS %d / %d cases: %.3f",
                     report.speedup2Jobs, largeCases, cases, report.memoryRatioLargeToSmall))
    }

    /// A new folder for the files of bench `name`, under the temporary directory; the caller
    /// removes it.
    static func workFolder(_ name: String) throws -> String {
        let work = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-bench-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        return work
    }

    /// Prints `report` as pretty, key-sorted JSON.
    static func printJSON<Report: Encodable>(_ report: Report) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// The bench pipeline (decode, canonicalize, classify) over the packages in `models`.
    static func writePipeline(in folder: String, models: String) throws -> String {
        let root = URL(fileURLWithPath: models).standardizedFileURL.path
        let text = """
            {"version": 1, "name": "bench-pipeline",
             "stages": [
               {"op": "LoadImage", "colour": "rgb"},
               {"op": "CanonicalizeOrientation", "model": "\(root)/orientation-d4"},
               {"op": "Classify", "model": "\(root)/bccd-cells"}
             ]}
            """
        let path = folder + "/pipeline.json"
        try AtomicFile.write(text, to: path)
        return path
    }

    /// `count` cases in `folder`: eight seeded smooth RGB images, hard-linked under new names.
    static func writeCases(_ count: Int, in folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let size = 256
        for image in 0..<min(8, count) {
            var samples = [UInt8](repeating: 0, count: size * size * 3)
            for y in 0..<size {
                for x in 0..<size {
                    for c in 0..<3 {
                        let phase = Double(image * 3 + c)
                        let value = 128 + 100 * sin(Double(x) / (9 + phase) + phase)
                            * cos(Double(y) / (13 + phase))
                        samples[(y * size + x) * 3 + c] = UInt8(max(0, min(255, value)))
                    }
                }
            }
            let scan = Scan(width: size, height: size, channels: 3, samples: .uint8(samples),
                            metadata: ScanMetadata(format: .png, colorModel: .rgb,
                                                   bitsPerSample: 8))
            try ImageEncoder.write(scan, to: folder + "/case-\(image).png", format: .png)
        }
        for index in 8..<max(8, count) {
            let source = folder + "/case-\(index % 8).png"
            guard link(source, folder + "/case-\(index).png") == 0 else {
                throw CommandFailure(.temporaryFailure, "\(folder): cannot link bench cases")
            }
        }
        return folder
    }

    /// Runs this binary with `arguments`, timing it and reading its peak RSS.
    private func measure(_ arguments: [String], cases: Int, jobs: Int) throws -> Run {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0 else {
            throw CommandFailure(.temporaryFailure, "cannot start \(binary)")
        }
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, 0, &usage) == pid else {
            throw CommandFailure(.temporaryFailure, "lost the child process \(pid)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // ru_maxrss is in KiB on Linux.
        return Run(cases: cases, jobs: jobs, seconds: seconds,
                   casesPerSecond: Double(cases) / seconds,
                   peakRSSMiB: Double(usage.ru_maxrss) / 1024,
                   exitStatus: (status >> 8) & 0xff)
    }
}
