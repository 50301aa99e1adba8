import ArgumentParser
import Benchmarks
import Foundation
import ImageCodecs

/// `equiscan bench decode`: megapixels per second of `ImageDecoder` (Swift, into a `Scan`)
/// against a plain C loop over the same library calls into a preallocated buffer, on test
/// images generated deterministically in memory. Use a release build.
struct BenchDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Measure PNG/JPEG/TIFF decode speed: Swift decoder vs plain C loop.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Timed decodes per path and image (default 9).")
    var repeats = 9

    func validate() throws {
        guard (1...1000).contains(repeats) else {
            throw ValidationError("--repeats \(repeats): expected a value in 1...1000")
        }
    }

    func run() throws {
        let report = try DecodeBenchmark.run(repeats: repeats)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        func f(_ v: Double) -> String { String(format: "%8.1f", v) }
        func r(_ v: Double) -> String { String(format: "%.3f", v) }
        print("decode benchmark, \(report.repeats) repeats, \(report.configuration) build; "
              + "MP/s best (median); wall clock, then thread CPU time")
        for c in report.cases {
            let name = c.name.padding(toLength: 22, withPad: " ", startingAt: 0)
            print("\(name) wall swift \(f(c.swift.bestMPps)) (\(f(c.swift.medianMPps)))  "
                  + "C \(f(c.c.bestMPps)) (\(f(c.c.medianMPps)))  "
                  + "ratio \(r(c.ratioBest)) (\(r(c.ratioMedian)))")
            print("\(String(repeating: " ", count: 22)) cpu  "
                  + "swift \(f(c.swift.cpuBestMPps)) (\(f(c.swift.cpuMedianMPps)))  "
                  + "C \(f(c.c.cpuBestMPps)) (\(f(c.c.cpuMedianMPps)))  "
                  + "ratio \(r(c.cpuRatioBest)) (\(r(c.cpuRatioMedian)))")
        }
    }
}
