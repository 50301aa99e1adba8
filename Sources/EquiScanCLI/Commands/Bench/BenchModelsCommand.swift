import ArgumentParser
import Benchmarks
import Equivariance
import Foundation

/// `equiscan bench models`: inference speed (images/s, GFLOP/s and its ratio to sgemm) and peak
/// memory of the P4CNN rotated-MNIST preset and a C4 U-Net. Use a release build.
struct BenchModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Measure equivariant model inference speed and peak memory.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Seconds to spend per case (default 3).")
    var seconds: Double = 3

    @Option(name: .long, help: ArgumentHelp(
        "Measure only this model (\(ModelBenchmark.modelNames.joined(separator: ", "))); "
            + "repeat for several. Default: all.", valueName: "model"))
    var model: [String] = []

    func validate() throws {
        guard seconds > 0, seconds <= 120 else {
            throw ValidationError("--seconds \(seconds): expected a value in (0, 120]")
        }
        for name in model where !ModelBenchmark.modelNames.contains(name) {
            throw ValidationError("--model \(name): expected one of "
                                  + ModelBenchmark.modelNames.joined(separator: ", "))
        }
    }

    func run() throws {
        let report = try ModelBenchmark.run(secondsPerCase: seconds,
                                            models: model.isEmpty ? nil : Set(model))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print(String(format: "sgemm 1024³: %.1f GFLOP/s", report.sgemm1024Gflops))
        print("convolution engine: \(report.convolutionEngine), "
              + "\(report.workerCount) thread(s)")
        for r in report.results {
            let s = r.shape
            print(String(format: "%@ N=%d %d×%d×%d: %.1f images/s, %.1f GFLOP/s, "
                         + "ratio %.2f (target %.2f; %.2f of the sgemm run just before), "
                         + "peak %.0f MiB%@",
                         s.name, s.batch, s.inputChannels, s.height, s.width, r.imagesPerSecond,
                         r.gflops, r.ratioToSgemm, s.targetRatioToSgemm,
                         r.ratioToAdjacentSgemm, r.peakResidentMiB,
                         r.peakIsPerCase ? "" : " (process peak)"))
        }
    }
}
