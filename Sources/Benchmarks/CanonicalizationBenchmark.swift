import Canonicalization
import Equivariance
import Foundation
import TensorCore

/// Speed of canonicalization: whole `canonicalize` calls (scorer preprocessing, pose scoring,
/// arg-max and the exact turn of the full-resolution image) on one gray scan at a time.
public enum CanonicalizationBenchmark {
    /// One measured case.
    public struct Result: Codable, Equatable, Sendable {
        /// "C4" or "D4".
        public var group: String
        /// Side of the square scan.
        public var scanSize: Int
        /// Side of the scorer input after crop and resize.
        public var scorerInputSize: Int
        /// Calls timed.
        public var iterations: Int
        /// Canonicalizations per second (wall clock).
        public var canonicalizationsPerSecond: Double
        /// Mean milliseconds per call.
        public var millisecondsEach: Double
        /// Share of a call spent in scorer preprocessing (crop, resize, normalisation).
        public var preprocessingShare: Double
    }

    /// The whole report.
    public struct Report: Codable, Equatable, Sendable {
        public var benchmark = "canonicalize"
        public var results: [Result]
    }

    /// Measures every group × scan size for about `secondsPerCase` each (after one warm-up
    /// call) with the default network and a 96 × 96 scorer input.
    public static func run(groups: [Group] = [.c4, .d4], scanSizes: [Int] = [256, 1024],
                           secondsPerCase: Double = 2) throws -> Report {
        var results: [Result] = []
        for group in groups {
            let canonicalizer = try DiscreteCanonicalizer(
                configuration: CanonicalizerConfiguration(group: group))
            canonicalizer.eval()
            for size in scanSizes {
                var generator = SeededGenerator(seed: UInt64(size))
                let scan = Tensor.uniform(shape: [1, 1, size, size], generator: &generator)
                _ = canonicalizer.canonicalize(scan)
                var iterations = 0
                var preprocessing = 0.0
                let start = DispatchTime.now().uptimeNanoseconds
                var elapsed = 0.0
                while elapsed < secondsPerCase || iterations < 3 {
                    let before = DispatchTime.now().uptimeNanoseconds
                    _ = canonicalizer.scorerInput(scan)
                    preprocessing += Double(DispatchTime.now().uptimeNanoseconds - before) / 1e9
                    _ = canonicalizer.canonicalize(scan)
                    iterations += 1
                    elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                }
                // Each iteration ran the preprocessing twice (once alone, once inside
                // canonicalize); the call time excludes the extra one.
                let callSeconds = (elapsed - preprocessing) / Double(iterations)
                results.append(Result(group: group.description, scanSize: size,
                                      scorerInputSize: canonicalizer.configuration.preprocessing
                                          .size,
                                      iterations: iterations,
                                      canonicalizationsPerSecond: 1 / callSeconds,
                                      millisecondsEach: callSeconds * 1000,
                                      preprocessingShare: preprocessing / Double(iterations)
                                          / callSeconds))
            }
        }
        return Report(results: results)
    }
}
