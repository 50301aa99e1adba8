/// A pointer into caller-owned memory, handed to every chunk of one parallel region
/// (`ThreadPolicy.parallel`, or `DispatchQueue.concurrentPerform` directly), so the region's
/// `@Sendable` body can read its inputs and write its outputs.
///
/// Raw pointers are not `Sendable`, because the compiler cannot know who else touches the
/// memory or how long it lives. The conformance below is sound for the use it is made for, and
/// every caller keeps to the two rules that make it so:
///
/// - **Lifetime and ordering.** The memory is borrowed from a `withUnsafe…Pointer` scope (or
///   allocated and freed) around the call that runs the region, and that call returns only
///   after every chunk has ended (`DispatchQueue.concurrentPerform`, which `parallel` uses,
///   joins its workers). So the memory outlives every use, and the join orders every chunk's
///   writes before the caller's next read.
/// - **Disjoint writes.** Memory that a chunk writes belongs to that chunk alone: the elements
///   of its own `range` (images, channels, planes, tile blocks) or its own `chunk` slot of a
///   partial-sum buffer. Chunks may read shared inputs, but never what another chunk writes,
///   so no element is written by two threads or written by one while another reads it.
///
/// Only pointer types (`RegionPointable`) can be wrapped, never objects with their own state.
public struct RegionPointer<Pointer: RegionPointable>: @unchecked Sendable {
    /// The wrapped pointer, to use inside the region's chunks.
    public let pointer: Pointer

    /// Wraps `pointer` for the chunks of one parallel region (see the rules above).
    @inline(__always)
    public init(_ pointer: Pointer) {
        self.pointer = pointer
    }
}

/// The pointer types `RegionPointer` may carry into a parallel region: plain addresses, which
/// copy without reference counting and own nothing.
public protocol RegionPointable {}

extension UnsafePointer: RegionPointable {}
extension UnsafeMutablePointer: RegionPointable {}
extension UnsafeBufferPointer: RegionPointable {}
extension UnsafeMutableBufferPointer: RegionPointable {}
extension Optional: RegionPointable where Wrapped: RegionPointable {}
