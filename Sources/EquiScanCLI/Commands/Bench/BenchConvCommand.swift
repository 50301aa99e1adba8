import ArgumentParser
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

    @Option(name: .long, help: "Seconds to spend per measured figure (default 2).")
    var seconds: Double = 2

    func validate() throws {
        guard seconds > 0, seconds <= 60 else {
            throw ValidationError("--seconds \(seconds): expected a value in (0, 60]")
        }
    }

    func run() throws {
        let report = ConvBenchmark.run(secondsPerFigure: seconds)
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
            for (label, figure) in [("forward", c.forward), ("forward+backward", c.forwardBackward),
                                    ("reference forward", c.referenceForward),
                                    ("reference fwd+bwd", c.referenceForwardBackward)] {
                print("  \(label.padding(toLength: 18, withPad: " ", startingAt: 0)) "
                      + "\(f(figure.gflops)) GFLOP/s  ratio \(r(figure.ratioToSgemm))  "
                      + "(median \(f(figure.medianGflops)))")
            }
        }
    }
}
