import CBLAS
import Dispatch
import Foundation
import Synchronization

/// How TensorCore uses the CPU cores.
///
/// The target machine has 2 cores shared by one process at a time; the policy is to keep both
/// busy and never run more compute threads than `workerCount`:
///
/// - **Large single GEMMs** (one `cblas_sgemm` call big enough to split, e.g. a linear layer on
///   a large batch or the 1024³ reference) run with OpenBLAS at `workerCount` threads and no
///   threads of our own.
/// - **Batched work** (per image, per channel, per tile: convolutions, pooling, batch norm over
///   large maps) is split into `workerCount` contiguous chunks with
///   `DispatchQueue.concurrentPerform`; inside those chunks OpenBLAS runs single-threaded
///   (`ThreadPolicy.parallel` keeps OpenBLAS at 1 thread while any region runs, on any thread,
///   and gives it `workerCount` again when the last ends), so the two levels of threading
///   never multiply.
/// - **Determinism**: every parallel loop writes disjoint outputs; any reduction across chunks
///   (weight gradients of a convolution, statistics of batch norm) is done per fixed index
///   range and combined in index order, never with atomics or in completion order. The same
///   inputs, seed and `workerCount` give the same bits on every run. Most kernels go further and
///   are independent of `workerCount` (they reduce per image or per channel in index order).
///
/// Which split wins was measured with `equiscan bench conv` (see the TensorCore README section
/// in `Sources/TensorCore/TensorCore.docc/TensorCore.md`).
public enum ThreadPolicy {
    /// What every thread shares: the configuration and the top-level regions running now.
    private struct State {
        /// Compute threads kernels may use.
        var workers: Int
        /// Top-level `parallel` regions running now, on all threads together.
        var activeRegions = 0
        /// The thread count last given to OpenBLAS; nil before the first BLAS use.
        var blasThreads: Int?

        /// OpenBLAS's thread count for this state: 1 while any region runs, so the two levels
        /// of threading never multiply; `workers` otherwise.
        var wantedBLASThreads: Int { activeRegions > 0 ? 1 : workers }

        /// Gives OpenBLAS `wantedBLASThreads` unless it has it already. Only ever called with
        /// the lock held, so calls into OpenBLAS's thread setup never overlap.
        mutating func syncBLAS() {
            let wanted = wantedBLASThreads
            guard blasThreads != wanted else { return }
            openblas_set_num_threads(Int32(wanted))
            blasThreads = wanted
        }
    }

    private static let state = Mutex(State(
        workers: Swift.max(1, Swift.min(2, ProcessInfo.processInfo.activeProcessorCount))))

    /// Set once OpenBLAS got its first thread count, so `prepareBLAS` skips the lock after.
    private static let blasConfigured = Atomic<Bool>(false)

    /// Parallel-region depth of the calling thread: above 0 while it runs a chunk of a region.
    /// Per thread because regions may run on several threads at once, and a thread that is not
    /// a worker of any region must still split its own work.
    private static let regionDepth = ThreadLocalCounter()

    /// Number of compute threads kernels may use (default: min(2, active cores)). OpenBLAS
    /// runs this many threads outside parallel regions. Set it before running kernels: regions
    /// already running keep the chunks they started with, and OpenBLAS takes the new count as
    /// soon as no region runs.
    public static var workerCount: Int {
        get { state.withLock { $0.workers } }
        set {
            precondition(newValue >= 1, "ThreadPolicy.workerCount must be ≥ 1, got \(newValue)")
            state.withLock { state in
                state.workers = newValue
                state.syncBLAS()
            }
            blasConfigured.store(true, ordering: .releasing)
        }
    }

    /// Gives OpenBLAS its thread count from `workerCount` now rather than at the first BLAS
    /// call (`prepareBLAS` does it then otherwise, so OpenBLAS never runs at its own default,
    /// the machine's core count).
    public static func configureBLAS() {
        state.withLock { $0.syncBLAS() }
        blasConfigured.store(true, ordering: .releasing)
    }

    /// Called before every BLAS call: the first one sets OpenBLAS's thread count; the others
    /// cost one atomic load.
    static func prepareBLAS() {
        if blasConfigured.load(ordering: .acquiring) { return }
        configureBLAS()
    }

    /// OpenBLAS's thread count now, as OpenBLAS reports it: `workerCount` while no parallel
    /// region runs on any thread, 1 while one does.
    public static var blasThreadCount: Int {
        prepareBLAS()
        return Int(openblas_get_num_threads())
    }

    /// Runs `body(chunk, range)` for `workerCount` (or fewer) contiguous chunks of 0..<count
    /// in parallel, with OpenBLAS single-threaded meanwhile. Chunk boundaries depend only on
    /// `count` and `workerCount`, so results are reproducible. Called from a chunk of another
    /// region (a kernel used by a kernel), it runs `body(0, 0..<count)` on the calling thread
    /// instead, so threads never multiply.
    ///
    /// Regions may start on several threads at once (one model serving several threads): each
    /// splits its own work, and OpenBLAS stays at 1 thread until the last of them ends, when it
    /// goes back to `workerCount`. A large GEMM started outside any region while another
    /// thread's region runs is therefore computed single-threaded, with the same result.
    ///
    /// `body` runs on several threads at once, so it is `@Sendable`: it captures values, and
    /// reaches caller-owned buffers through `RegionPointer`, whose rules (memory outlives the
    /// region, each chunk writes only its own elements) keep the chunks from racing.
    public static func parallel(count: Int, minimumPerChunk: Int = 1,
                                _ body: @Sendable (_ chunk: Int, _ range: Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = chunkCount(count: count, minimumPerChunk: minimumPerChunk)
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        state.withLock { state in
            state.activeRegions += 1
            state.syncBLAS()
        }
        blasConfigured.store(true, ordering: .releasing)
        defer {
            state.withLock { state in
                state.activeRegions -= 1
                state.syncBLAS()
            }
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            // Workers are pooled threads: the depth goes back down when the chunk ends.
            regionDepth.withIncrement {
                body(chunk, chunkRange(chunk, of: chunks, count: count))
            }
        }
    }

    /// Number of chunks `parallel(count:minimumPerChunk:)` will use (1 inside a region).
    public static func chunkCount(count: Int, minimumPerChunk: Int = 1) -> Int {
        guard count > 0 else { return 0 }
        if regionDepth.value > 0 { return 1 }
        return Swift.min(workerCount, Swift.max(1, count / Swift.max(1, minimumPerChunk)))
    }

    /// The `chunk`-th of `chunks` near-equal contiguous ranges covering 0..<count.
    public static func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        let lower = count * chunk / chunks
        let upper = count * (chunk + 1) / chunks
        return lower..<upper
    }
}
