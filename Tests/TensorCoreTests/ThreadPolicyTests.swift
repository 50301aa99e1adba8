import Dispatch
import TensorCore
import XCTest
import _TestSupport

/// Parallel regions started on several threads at once: each splits its own work, results
/// equal one thread's bit for bit, and OpenBLAS ends at `workerCount` threads.
final class ThreadPolicyTests: TwoWorkerTestCase {
    /// The inputs of one thread's share of kernels.
    private struct Job: Sendable {
        var input: Tensor  // (N, Cin, H, W)
        var weight3: Tensor  // (Cout, Cin, 3, 3): Winograd, tile blocks split across workers
        var weight5: Tensor  // (Cout, Cin, 5, 5): im2col, images split across workers
        var gradient3: Tensor  // (N, Cout, H, W)
        var gradient5: Tensor  // (N, Cout, H − 4, W − 4)
        var left: Tensor  // (64, 96)
        var right: Tensor  // (96, 48)

        init(generator: inout SeededGenerator) {
            input = Tensor.gaussian(shape: [4, 3, 12, 12], generator: &generator)
            weight3 = Tensor.gaussian(shape: [5, 3, 3, 3], generator: &generator)
            weight5 = Tensor.gaussian(shape: [5, 3, 5, 5], generator: &generator)
            gradient3 = Tensor.gaussian(shape: [4, 5, 12, 12], generator: &generator)
            gradient5 = Tensor.gaussian(shape: [4, 5, 8, 8], generator: &generator)
            left = Tensor.gaussian(shape: [64, 96], generator: &generator)
            right = Tensor.gaussian(shape: [96, 48], generator: &generator)
        }

        /// Every kernel's outputs, in a fixed order.
        func run() -> [Tensor] {
            let forward3 = Conv2DKernels.forward(input: input, weight: weight3, bias: nil, padding: 1)
            let forward5 = Conv2DKernels.forward(input: input, weight: weight5, bias: nil)
            let back3 = Conv2DKernels.backward(outputGradient: gradient3, input: input,
                                        weight: weight3, padding: 1)
            let back5 = Conv2DKernels.backward(outputGradient: gradient5, input: input,
                                        weight: weight5)
            let (pooled, _) = Pool2D.maxForward(input: input, kernel: 2)
            return [forward3, forward5, back3.input ?? Tensor(scalar: 0), back3.weight,
                    back5.input ?? Tensor(scalar: 0), back5.weight, pooled,
                    Tensor.matmul(left, right)]
        }
    }

    func testRegionsOnSeveralThreadsMatchOneThreadAndRestoreBLASThreads() throws {
        var generator = SeededGenerator(seed: 71)
        let jobs = (0..<4).map { _ in Job(generator: &generator) }
        let expected = jobs.map { $0.run() }  // one thread, one region at a time
        let rounds = 3
        let results = ConcurrentThreads.run(jobs.count) { index in
            (0..<rounds).map { _ in jobs[index].run() }
        }
        let perThread = try XCTUnwrap(results, "a thread did not finish")
        for (index, runs) in perThread.enumerated() {
            for run in runs {
                XCTAssertEqual(run.count, expected[index].count)
                for (actual, reference) in zip(run, expected[index]) {
                    assertBitwiseEqual(actual, reference)
                }
            }
        }
        XCTAssertEqual(ThreadPolicy.blasThreadCount, 2,
                       "OpenBLAS must be back at workerCount once no region runs")
    }

    /// Regions overlap as A starts, B starts, A ends, B ends. B, not a worker of A, must split
    /// its work; OpenBLAS stays at 1 thread until B ends too, then returns to `workerCount`.
    func testOverlappingRegionsKeepOwnChunksAndOpenBLASSingleThreadedUntilTheLastEnds() throws {
        let aInside = DispatchSemaphore(value: 0)
        let bInside = DispatchSemaphore(value: 0)
        let aEnded = DispatchSemaphore(value: 0)
        let seen = Observations()
        let finished: [Void]? = ConcurrentThreads.run(2) { role in
            if role == 0 {
                ThreadPolicy.parallel(count: 2) { chunk, _ in
                    guard chunk == 0 else { return }
                    aInside.signal()
                    seen.note("A saw B start", ConcurrentThreads.wait(bInside))
                }
                aEnded.signal()
            } else {
                seen.note("B saw A start", ConcurrentThreads.wait(aInside))
                seen.note("B chunks outside a region", ThreadPolicy.chunkCount(count: 100))
                seen.note("BLAS threads during A", ThreadPolicy.blasThreadCount)
                ThreadPolicy.parallel(count: 2) { chunk, _ in
                    seen.note("B ran chunk \(chunk)", true)
                    guard chunk == 0 else { return }
                    bInside.signal()
                    seen.note("B saw A end", ConcurrentThreads.wait(aEnded))
                    seen.note("BLAS threads during B after A", ThreadPolicy.blasThreadCount)
                    seen.note("chunks inside B", ThreadPolicy.chunkCount(count: 100))
                }
            }
        }
        XCTAssertNotNil(finished, "a thread did not finish")
        XCTAssertEqual(seen["B saw A start"], 1)
        XCTAssertEqual(seen["A saw B start"], 1, "B's region must start while A's runs")
        XCTAssertEqual(seen["B saw A end"], 1)
        XCTAssertEqual(seen["B chunks outside a region"], 2,
                       "a thread outside any region must split its work, whatever others do")
        XCTAssertEqual(seen["B ran chunk 0"], 1)
        XCTAssertEqual(seen["B ran chunk 1"], 1)
        XCTAssertEqual(seen["chunks inside B"], 1, "a worker of a region must not split again")
        XCTAssertEqual(seen["BLAS threads during A"], 1)
        XCTAssertEqual(seen["BLAS threads during B after A"], 1,
                       "OpenBLAS must stay single-threaded while any region runs")
        XCTAssertEqual(ThreadPolicy.blasThreadCount, 2)
    }

    func testWorkerCountSetsOpenBLASThreads() {
        ThreadPolicy.workerCount = 1
        XCTAssertEqual(ThreadPolicy.blasThreadCount, 1)
        ThreadPolicy.workerCount = 2
        XCTAssertEqual(ThreadPolicy.blasThreadCount, 2)
    }
}

/// The per-thread counter behind the region depth and the tape switch.
final class ThreadLocalCounterTests: XCTestCase {
    func testCountsAreSeparatePerThreadAndRestoredAfterwards() {
        let counter = ThreadLocalCounter()
        XCTAssertEqual(counter.value, 0)
        let inside = counter.withIncrement { () -> [Int] in
            let outer = counter.value
            let nested = counter.withIncrement { counter.value }
            let others = ConcurrentThreads.run(3) { _ in
                counter.withIncrement { counter.value }
            }
            return [outer, nested, counter.value] + (others ?? [])
        }
        XCTAssertEqual(inside, [1, 2, 1, 1, 1, 1],
                       "other threads start from 0 whatever this thread's count is")
        XCTAssertEqual(counter.value, 0)
        struct Failure: Error {}
        XCTAssertThrowsError(try counter.withIncrement { throw Failure() })
        XCTAssertEqual(counter.value, 0, "a throwing body must not leave the count raised")
    }
}
