#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-negative count kept separately for every thread (0 on a thread that never touched it).
///
/// Backed by one POSIX thread-specific key, so it works for raw `Thread`s and for the worker
/// threads of `DispatchQueue.concurrentPerform` alike (a `@TaskLocal` only follows Swift tasks).
/// The count is stored in the key's slot as a pointer-sized integer, so reading and writing it
/// never allocates and an exiting thread leaves nothing to free. Used for nesting depths: the
/// parallel-region depth of `ThreadPolicy` and the no-recording depth of the gradient tape.
public final class ThreadLocalCounter: Sendable {
    private let key: pthread_key_t

    /// Creates a counter that reads 0 on every thread. Keys are a limited resource (at least
    /// 128 per process), so make counters `static let`s, not per-object values.
    public init() {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0,
                     "pthread_key_create failed: \(String(cString: strerror(status)))")
        self.key = key
    }

    /// The calling thread's count.
    public var value: Int {
        guard let slot = pthread_getspecific(key) else { return 0 }
        return Int(bitPattern: slot)
    }

    /// Runs `body` with the calling thread's count raised by one, and lowers it afterwards
    /// (also when `body` throws).
    public func withIncrement<T>(_ body: () throws -> T) rethrows -> T {
        let previous = value
        set(previous + 1)
        defer { set(previous) }
        return try body()
    }

    private func set(_ count: Int) {
        // A count of 0 is the null pointer, the slot's value on threads that never wrote it.
        let status = pthread_setspecific(key, UnsafeRawPointer(bitPattern: count))
        precondition(status == 0,
                     "pthread_setspecific failed: \(String(cString: strerror(status)))")
    }
}
