import ArgumentParser
import Benchmarks
import Foundation
import TensorCore

/// `equiscan bench conv`: GFLOP/s of cblas_sgemm (1024³) and of conv2d forward and
/// forward+backward on the two shapes of issue 3, with ratios to sgemm. Use a release build.
struct BenchConvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Measure sgemm and conv2d GFLOP/s (forward, forward+backward).")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Time budget in seconds for all measurements (default 20).")
    var seconds: Double = 20

    @Option(name: .long, help: "Most measurement rounds (default 20; best of them is reported).")
    var rounds: Int = 20

    @Option(name: .long, help: "Compute threads (default: the thread policy's, min(2, cores)).")
    var threads: Int?

    @Option(name: .long, help: "Comma-separated case names to run (default: all of a,b).")
    var cases: String?

    @Flag(name: .long, help: "Skip the reference-path figures.")
    var noReference = false

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads \(threads): expected at least 1")
        }
        if let cases {
            let known = Set(ConvBenchmark.standardCases.map(\.name))
            for name in cases.split(separator: ",") where !known.contains(String(name)) {
                throw ValidationError("--cases: unknown case '\(name)'; expected one of "
                                      + known.sorted().joined(separator: ", "))
            }
        }
        guard seconds > 0, seconds <= 600 else {
            throw ValidationError("--seconds \(seconds): expected a value in (0, 600]")
        }
        guard rounds >= 3 else {
            throw ValidationError("--rounds \(rounds): expected at least 3")
        }
    }

    func run() throws {
        if let threads { ThreadPolicy.workerCount = threads }
        let selected = cases.map { list in
            let names = Set(list.split(separator: ",").map(String.init))
            return ConvBenchmark.standardCases.filter { names.contains($0.name) }
        } ?? ConvBenchmark.standardCases
        let report = ConvBenchmark.run(cases: selected, rounds: rounds, seconds: seconds,
                                       includeReference: !noReference)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(report)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        func f(_ v: Double) -> String { String(format: "%7.1f", v) }
        func r(_ v: Double) -> String { String(format: "%.2f", v) }
        print("threads \(report.threads), OpenBLAS threads \(report.openblasThreads), "
              + "core \(report.openblasCoreType)")
        print("sgemm 1024³: \(f(report.sgemm1024Gflops)) GFLOP/s "
              + "(median \(f(report.sgemm1024MedianGflops)))")
        for c in report.cases {
            let s = c.shape
            print("(\(s.name)) N=\(s.batch) \(s.inChannels)→\(s.outChannels) "
                  + "\(s.kernel)×\(s.kernel) pad \(s.padding) \(s.height)×\(s.width) "
                  + "[\(c.forwardAlgorithm)]")
            var figures = [("forward", c.forward), ("forward+backward", c.forwardBackward)]
            if let reference = c.referenceForward, let both = c.referenceForwardBackward {
                figures += [("reference forward", reference), ("reference fwd+bwd", both)]
            }
            for (label, figure) in figures {
                print("  \(label.padding(toLength: 18, withPad: " ", startingAt: 0)) "
                      + "\(f(figure.gflops)) GFLOP/s  ratio \(r(figure.ratioToSgemm))  "
                      + "(median \(f(figure.medianGflops)))")
            }
        }
    }
}
