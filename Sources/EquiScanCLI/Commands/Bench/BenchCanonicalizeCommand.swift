import ArgumentParser
import Benchmarks
import Canonicalization
import Foundation

/// `equiscan bench canonicalize`: canonicalizations per second for 256 × 256 and
/// 1024 × 1024 scans under C4 and D4 (scorer input 96 × 96). Use a release build.
struct BenchCanonicalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canonicalize",
        abstract: "Measure canonicalization speed (pose scoring and the turn of the scan).")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Seconds to spend per case (default 2).")
    var seconds: Double = 2

    func validate() throws {
        guard seconds > 0, seconds <= 120 else {
            throw ValidationError("--seconds \(seconds): expected a value in (0, 120]")
        }
    }

    func run() throws {
        let report = try CanonicalizationBenchmark.run(secondsPerCase: seconds)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        for r in report.results {
            print(String(format: "%@ %d×%d (scorer %d×%d): %.1f canonicalizations/s, "
                         + "%.2f ms each, preprocessing %.0f %%", r.group, r.scanSize,
                         r.scanSize, r.scorerInputSize, r.scorerInputSize,
                         r.canonicalizationsPerSecond, r.millisecondsEach,
                         100 * r.preprocessingShare))
        }
    }
}
