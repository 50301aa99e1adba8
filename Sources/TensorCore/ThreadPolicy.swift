import CBLAS
import Dispatch
import Foundation

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
///   (`ThreadPolicy.parallel` sets OpenBLAS to 1 thread for the duration and restores it), so
///   the two levels of threading never multiply.
/// - **Determinism**: every parallel loop writes disjoint outputs; any reduction across chunks
///   (weight gradients of a convolution, statistics of batch norm) is done per fixed index
///   range and combined in index order, never with atomics or in completion order. The same
///   inputs, seed and `workerCount` give the same bits on every run. Most kernels go further and
///   are independent of `workerCount` (they reduce per image or per channel in index order).
///
/// Which split wins was measured with `equiscan bench conv` (see the TensorCore README section
/// in `Sources/TensorCore/TensorCore.docc/TensorCore.md`).
public enum ThreadPolicy {
    nonisolated(unsafe) private static var configuredWorkers: Int =
        Swift.max(1, Swift.min(2, ProcessInfo.processInfo.activeProcessorCount))

    /// Number of compute threads kernels may use (default: min(2, active cores)). Set it
    /// before running kernels, not while they run; it also sets OpenBLAS's thread count.
    public static var workerCount: Int {
        get { configuredWorkers }
        set {
            precondition(newValue >= 1, "ThreadPolicy.workerCount must be ≥ 1, got \(newValue)")
            configuredWorkers = newValue
            openblas_set_num_threads(Int32(newValue))
        }
    }

    /// Makes OpenBLAS use `workerCount` threads (call once at start-up; kernels call it too).
    public static func configureBLAS() {
        openblas_set_num_threads(Int32(configuredWorkers))
    }

    /// True while a `parallel` region runs. Written only by the thread that starts the region,
    /// before the workers start and after they all finished; workers only read it.
    nonisolated(unsafe) private static var insideParallelRegion = false

    /// Runs `body(chunk, range)` for `workerCount` (or fewer) contiguous chunks of 0..<count
    /// in parallel, with OpenBLAS single-threaded meanwhile. Chunk boundaries depend only on
    /// `count` and `workerCount`, so results are reproducible. Called from inside another
    /// parallel region (a kernel used by a kernel), it runs `body(0, 0..<count)` on the calling
    /// thread instead, so threads never multiply. Start regions from one thread at a time (the
    /// project runs one forward or backward pass at a time and parallelises inside kernels).
    public static func parallel(count: Int, minimumPerChunk: Int = 1,
                                _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = chunkCount(count: count, minimumPerChunk: minimumPerChunk)
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(1)
        insideParallelRegion = true
        defer {
            insideParallelRegion = false
            openblas_set_num_threads(previous)
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body(chunk, chunkRange(chunk, of: chunks, count: count))
        }
    }

    /// Number of chunks `parallel(count:minimumPerChunk:)` will use (1 inside a region).
    public static func chunkCount(count: Int, minimumPerChunk: Int = 1) -> Int {
        guard count > 0 else { return 0 }
        if insideParallelRegion { return 1 }
        return Swift.min(configuredWorkers, Swift.max(1, count / Swift.max(1, minimumPerChunk)))
    }

    /// The `chunk`-th of `chunks` near-equal contiguous ranges covering 0..<count.
    public static func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        let lower = count * chunk / chunks
        let upper = count * (chunk + 1) / chunks
        return lower..<upper
    }
}
