import ArgumentParser
import Benchmarks
import Foundation

/// `equiscan bench hash`: SHA-256 throughput in MB/s (every input and weight file is hashed).
struct BenchHashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Measure SHA-256 throughput (MB/s) of the content hash.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Megabytes hashed per round (default 64).")
    var megabytes = 64

    func validate() throws {
        guard (1...4096).contains(megabytes) else {
            throw ValidationError("--megabytes \(megabytes): expected a value in 1...4096")
        }
    }

    func run() throws {
        let report = HashBenchmark.run(megabytes: megabytes)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print(String(format: "SHA-256 over %d MB: best %.0f MB/s, median %.0f MB/s",
                     report.megabytes, report.bestMBps, report.medianMBps))
    }
}
