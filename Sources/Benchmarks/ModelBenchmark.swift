import Equivariance
import Foundation
import NeuralNet
import TensorCore

/// Inference speed and memory of the equivariant models, for `equiscan bench models`.
///
/// Each case runs a model in evaluation mode (cached filter banks, no gradient recording) on a
/// seeded random batch: one warm-up pass, then timed passes until a time budget is spent. The
/// GFLOP/s figure counts the convolutions only (2 × multiply-adds of the expanded banks), the
/// same count as `bench conv`; its ratio divides by a 1024³ `sgemm` measured in the same
/// process. Peak memory is the resident high-water mark (VmHWM) reset before each case through
/// /proc/self/clear_refs (falls back to getrusage's ru_maxrss, which cannot be reset).
public enum ModelBenchmark {
    /// One model, batch and input size.
    public struct Case: Codable, Sendable {
        /// Short name, e.g. "p4cnn-rotmnist-c4".
        public var name: String
        /// Batch size N.
        public var batch: Int
        /// Input (Cin, H, W).
        public var inputChannels: Int, height: Int, width: Int
        /// Target fraction of sgemm GFLOP/s from the issue.
        public var targetRatioToSgemm: Double
    }

    /// Measurements of one case.
    public struct Result: Codable, Sendable {
        /// The case.
        public var shape: Case
        /// Images per second (best repetition).
        public var imagesPerSecond: Double
        /// Images per second (median repetition).
        public var medianImagesPerSecond: Double
        /// Convolution GFLOP per image.
        public var gflopPerImage: Double
        /// Achieved convolution GFLOP/s (best repetition).
        public var gflops: Double
        /// gflops / sgemm GFLOP/s.
        public var ratioToSgemm: Double
        /// GFLOP/s of a 1024³ sgemm measured just before this case (load on a shared machine
        /// drifts; this is the fairer reference).
        public var adjacentSgemmGflops: Double
        /// gflops / adjacentSgemmGflops.
        public var ratioToAdjacentSgemm: Double
        /// Peak resident memory during the case, MiB.
        public var peakResidentMiB: Double
        /// Whether the peak was isolated per case (clear_refs worked).
        public var peakIsPerCase: Bool
        /// Timed repetitions.
        public var repetitions: Int
    }

    /// The whole report.
    public struct Report: Codable, Sendable {
        /// Best GFLOP/s of a 1024 × 1024 × 1024 sgemm in this process.
        public var sgemm1024Gflops: Double
        /// The engine the convolutions ran on: "onednn" and its version, or "reference"
        /// (`ConvolutionEngine.selectedDescription`).
        public var convolutionEngine: String
        /// Compute threads of EquiScan and of oneDNN (`ThreadPolicy.workerCount`).
        public var workerCount: Int
        /// One entry per case.
        public var results: [Result]
    }

    /// The models `run` measures, by the names its results carry.
    public static let modelNames = ["p4cnn-rotmnist-c4", "unet-c4-8-16-32"]

    /// Runs (a) the rotated-MNIST P4CNN at batch 64 and (b) a C4 U-Net 8/16/32, 1×256×256,
    /// 4 classes, at batch 1 and 8; only those named in `models` when it is given (a profile
    /// of one model).
    public static func run(secondsPerCase: Double = 3, models: Set<String>? = nil) throws
        -> Report {
        let sgemm = sgemmGflops(seconds: min(secondsPerCase, 2))
        var results: [Result] = []
        if models?.contains(modelNames[0]) ?? true {
            let p4 = try P4CNN(configuration: .rotatedMNIST(group: .c4))
            results.append(measure(
                Case(name: modelNames[0], batch: 64, inputChannels: 1, height: 28, width: 28,
                     targetRatioToSgemm: 0.45),
                model: p4, flopsPerImage: p4.flops(batch: 1, height: 28, width: 28),
                sgemm: sgemm, seconds: secondsPerCase))
        }
        if models?.contains(modelNames[1]) ?? true {
            let unet = try EquivariantUNet(configuration: EquivariantUNetConfiguration(
                group: .c4, inputChannels: 1, classes: 4, fieldsPerLevel: [8, 16, 32]))
            for batch in [1, 8] {
                results.append(measure(
                    Case(name: modelNames[1], batch: batch, inputChannels: 1, height: 256,
                         width: 256, targetRatioToSgemm: 0.75),
                    model: unet, flopsPerImage: unet.flops(batch: 1, height: 256, width: 256),
                    sgemm: sgemm, seconds: secondsPerCase))
            }
        }
        return Report(sgemm1024Gflops: sgemm,
                      convolutionEngine: ConvolutionEngine.selectedDescription,
                      workerCount: ThreadPolicy.workerCount, results: results)
    }

    static func measure(_ shape: Case, model: Module, flopsPerImage: Double, sgemm: Double,
                        seconds: Double) -> Result {
        var rng = SeededGenerator(seed: 1)
        let input = Tensor.gaussian(shape: [shape.batch, shape.inputChannels, shape.height,
                                            shape.width], generator: &rng)
        model.eval()
        let adjacent = sgemmGflops(seconds: 1)
        let isolated = resetPeakResident()
        let times = time(budget: seconds) {
            _ = GradientTape.withoutRecording { model(Variable(input)) }
        }
        let best = times.min() ?? .infinity
        let median = times.sorted()[times.count / 2]
        let images = Double(shape.batch)
        let gflops = flopsPerImage * images / best / 1e9
        return Result(shape: shape, imagesPerSecond: images / best,
                      medianImagesPerSecond: images / median,
                      gflopPerImage: flopsPerImage / 1e9, gflops: gflops,
                      ratioToSgemm: gflops / sgemm, adjacentSgemmGflops: adjacent,
                      ratioToAdjacentSgemm: gflops / adjacent, peakResidentMiB: peakResidentMiB(),
                      peakIsPerCase: isolated, repetitions: times.count)
    }

    /// Best GFLOP/s of C = A·B for 1024 × 1024 matrices.
    public static func sgemmGflops(seconds: Double) -> Double {
        var rng = SeededGenerator(seed: 2)
        let a = Tensor.gaussian(shape: [1024, 1024], generator: &rng)
        let b = Tensor.gaussian(shape: [1024, 1024], generator: &rng)
        let times = time(budget: seconds) { _ = Tensor.matmul(a, b) }
        return 2 * 1024 * 1024 * 1024 / (times.min() ?? .infinity) / 1e9
    }

    /// Seconds of repeated runs of `body` after one warm-up, until `budget` seconds are spent
    /// (at least 3, at most 50 runs).
    static func time(budget: Double, _ body: () -> Void) -> [Double] {
        body()
        var times: [Double] = []
        let clock = ContinuousClock()
        let start = clock.now
        while times.count < 50 {
            let t0 = clock.now
            body()
            times.append(seconds(clock.now - t0))
            if times.count >= 3 && seconds(clock.now - start) > budget { break }
        }
        return times
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Resets the kernel's resident high-water mark of this process; false where unsupported.
    static func resetPeakResident() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else {
            return false
        }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// VmHWM of /proc/self/status in MiB, or ru_maxrss where /proc is missing.
    static func peakResidentMiB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kib / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
