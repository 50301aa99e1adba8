import Synchronization

/// Sample buffers handed from one inference pass to the next, so that a model run again and
/// again on inputs of one size allocates its activations once: a fresh buffer of megabytes
/// costs a page fault per 4 KiB the first time it is written (zeroing, cgroup accounting),
/// about a tenth of a U-Net forward pass on these machines (docs/performance.md).
///
/// Buffers are kept by exact sample count (a network at one input size asks for the same counts
/// every pass); `take` gives one back or allocates. `startPass(shape:)` empties the pool when
/// the input shape changes, so it never holds more than one pass at one shape used: the
/// process's peak memory does not grow, the buffers only stay resident between passes. Safe to
/// share between threads: each `take` hands a buffer to one caller alone.
///
/// A buffer is reused without a copy only when the pool holds the last reference to it: recycle
/// the storage of a tensor that is about to die (`consume`); the copy-on-write check keeps a
/// buffer still in use intact in every case, at the cost of a copy.
public final class BufferPool: Sendable {
    private struct State {
        var free: [Int: [[Float]]] = [:]
        var shape: [Int] = []
    }

    private let state = Mutex(State())
    /// Most buffers kept at once; more recycled ones are dropped.
    public let limit: Int

    /// An empty pool that keeps at most `limit` buffers.
    public init(limit: Int = 64) {
        self.limit = limit
    }

    /// Called before a pass on an input of `shape`: the buffers of passes at another shape are
    /// dropped.
    public func startPass(shape: [Int]) {
        state.withLock { state in
            guard state.shape != shape else { return }
            state = State(free: [:], shape: shape)
        }
    }

    /// A buffer of `count` samples whose contents are unspecified (the caller writes every
    /// sample): a recycled one when there is one of that count, else a new one.
    public func take(count: Int) -> [Float] {
        state.withLock({ $0.free[count]?.popLast() }) ?? BufferPool.fresh(count: count)
    }

    /// A new buffer of `count` samples whose contents are unspecified (the caller writes every
    /// sample), without the zero fill of `Array(repeating:count:)`.
    public static func fresh(count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Keeps `buffer` for a later `take` of its count (dropped when the pool is full).
    public func recycle(_ buffer: [Float]) {
        guard !buffer.isEmpty else { return }
        state.withLock { state in
            guard state.free.values.reduce(0, { $0 + $1.count }) < limit else { return }
            state.free[buffer.count, default: []].append(buffer)
        }
    }

    /// Samples held now, over all buffers.
    public var heldSamples: Int {
        state.withLock { $0.free.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
    }
}
