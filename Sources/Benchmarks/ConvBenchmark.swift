import CBLAS
import Foundation
import TensorCore

/// Speed of `cblas_sgemm` and of the convolution kernels, for `equiscan bench conv`.
///
/// GFLOP/s figures count the direct-convolution work, 2·N·Cout·Cin·kH·kW·Ho·Wo per forward
/// pass, whatever algorithm runs (so a Winograd path can exceed the sgemm figure), and three
/// times that for forward + backward (input and weight gradients). Each figure is the best of
/// several timed repetitions after one warm-up; the median is reported beside it because
/// 2-thread timings swing. Ratios divide by the sgemm figure of the same run.
public enum ConvBenchmark {
    /// One convolution shape.
    public struct Case: Codable, Sendable {
        public var name: String
        public var batch: Int, inChannels: Int, outChannels: Int
        public var kernel: Int, padding: Int, height: Int, width: Int

        public init(name: String, batch: Int, inChannels: Int, outChannels: Int, kernel: Int,
                    padding: Int, height: Int, width: Int) {
            self.name = name
            self.batch = batch
            self.inChannels = inChannels
            self.outChannels = outChannels
            self.kernel = kernel
            self.padding = padding
            self.height = height
            self.width = width
        }
    }

    /// The shapes of issue 3: (a) N=8, 32→32, 3×3, pad 1, 128×128; (b) N=64, 40→40, 28×28.
    public static let standardCases = [
        Case(name: "a", batch: 8, inChannels: 32, outChannels: 32, kernel: 3, padding: 1,
             height: 128, width: 128),
        Case(name: "b", batch: 64, inChannels: 40, outChannels: 40, kernel: 3, padding: 1,
             height: 28, width: 28),
    ]

    /// Best and median GFLOP/s of one measurement, with its ratio to sgemm.
    public struct Figure: Codable, Sendable {
        public var gflops: Double
        public var medianGflops: Double
        public var ratioToSgemm: Double
        public var repetitions: Int
    }

    /// Results for one shape.
    public struct CaseResult: Codable, Sendable {
        public var shape: Case
        public var forward: Figure
        public var forwardBackward: Figure
        public var referenceForward: Figure?
        public var referenceForwardBackward: Figure?
        public var forwardAlgorithm: String
    }

    /// Everything `bench conv` reports.
    public struct Report: Codable, Sendable {
        public var threads: Int
        public var openblasThreads: Int
        public var openblasCoreType: String
        public var sgemm1024Gflops: Double
        public var sgemm1024MedianGflops: Double
        public var cases: [CaseResult]
    }

    /// A timed piece of work and the FLOPs it counts for.
    struct Job {
        let flops: Double
        let body: () -> Void
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Times every job once per round, round after round (after one warm-up run each), until
    /// `rounds` rounds ran or `budget` seconds passed (at least 3 rounds). Interleaving keeps
    /// the sgemm reference and the convolutions under the same machine load, so their ratios
    /// are comparable even while other processes come and go.
    static func timeInterleaved(_ jobs: [Job], rounds: Int, budget: Double) -> [[Double]] {
        for job in jobs { job.body() }
        var times = [[Double]](repeating: [], count: jobs.count)
        let clock = ContinuousClock()
        let start = clock.now
        for round in 0..<rounds {
            for (index, job) in jobs.enumerated() {
                let t0 = clock.now
                job.body()
                times[index].append(seconds(clock.now - t0))
            }
            if round >= 2 && seconds(clock.now - start) >= budget { break }
        }
        return times
    }

    static func figure(flops: Double, times: [Double], sgemm: Double) -> Figure {
        let sorted = times.sorted()
        let best = flops / sorted[0] / 1e9
        let median = flops / sorted[sorted.count / 2] / 1e9
        return Figure(gflops: best, medianGflops: median, ratioToSgemm: best / sgemm,
                      repetitions: times.count)
    }

    /// Runs the benchmark: sgemm 1024³ and every case through the fast and reference paths,
    /// interleaved, for at most `rounds` rounds or `seconds` seconds.
    public static func run(cases: [Case] = standardCases, rounds: Int = 20,
                           seconds budget: Double = 20, includeReference: Bool = true) -> Report {
        ThreadPolicy.configureBLAS()
        let size = 1024
        var rng = SeededGenerator(seed: 1)
        let a = Tensor.uniform(shape: [size, size], low: -1, high: 1, generator: &rng)
        let b = Tensor.uniform(shape: [size, size], low: -1, high: 1, generator: &rng)
        var jobs = [Job(flops: 2 * Double(size * size * size)) { _ = Tensor.matmul(a, b) }]
        var geometries: [Conv2DKernels.Geometry] = []
        for c in cases {
            let x = Tensor.gaussian(shape: [c.batch, c.inChannels, c.height, c.width],
                                    generator: &rng)
            let w = Tensor.gaussian(shape: [c.outChannels, c.inChannels, c.kernel, c.kernel],
                                    std: 0.1, generator: &rng)
            let bias = Tensor.gaussian(shape: [c.outChannels], generator: &rng)
            let g = Conv2DKernels.Geometry(inputShape: x.shape, weightShape: w.shape, stride: 1,
                                           padding: c.padding)
            geometries.append(g)
            let dy = Tensor.gaussian(shape: g.outputShape, generator: &rng)
            let p = c.padding
            jobs.append(Job(flops: g.flops) {
                _ = Conv2DKernels.forward(input: x, weight: w, bias: bias, stride: 1, padding: p)
            })
            jobs.append(Job(flops: 3 * g.flops) {
                _ = Conv2DKernels.forward(input: x, weight: w, bias: bias, stride: 1, padding: p)
                _ = Conv2DKernels.backward(outputGradient: dy, input: x, weight: w, stride: 1,
                                           padding: p)
            })
            guard includeReference else { continue }
            jobs.append(Job(flops: g.flops) {
                _ = Conv2DKernels.referenceForward(input: x, weight: w, bias: bias, stride: 1,
                                                   padding: p)
            })
            jobs.append(Job(flops: 3 * g.flops) {
                _ = Conv2DKernels.referenceForward(input: x, weight: w, bias: bias, stride: 1,
                                                   padding: p)
                _ = Conv2DKernels.referenceBackward(outputGradient: dy, input: x, weight: w,
                                                    stride: 1, padding: p)
            })
        }
        let times = timeInterleaved(jobs, rounds: rounds, budget: budget)
        let sgemmSorted = times[0].sorted()
        let sgemm = jobs[0].flops / sgemmSorted[0] / 1e9
        let sgemmMedian = jobs[0].flops / sgemmSorted[sgemmSorted.count / 2] / 1e9
        var results: [CaseResult] = []
        let jobsPerCase = includeReference ? 4 : 2
        for (index, c) in cases.enumerated() {
            let f = { (k: Int) in
                figure(flops: jobs[1 + jobsPerCase * index + k].flops,
                       times: times[1 + jobsPerCase * index + k], sgemm: sgemm)
            }
            results.append(CaseResult(shape: c, forward: f(0), forwardBackward: f(1),
                                      referenceForward: includeReference ? f(2) : nil,
                                      referenceForwardBackward: includeReference ? f(3) : nil,
                                      forwardAlgorithm:
                                        Conv2DKernels.forwardAlgorithm(for: geometries[index])))
        }
        return Report(threads: ThreadPolicy.workerCount,
                      openblasThreads: Int(openblas_get_num_threads()),
                      openblasCoreType: String(cString: openblas_get_corename()),
                      sgemm1024Gflops: sgemm, sgemm1024MedianGflops: sgemmMedian, cases: results)
    }
}
