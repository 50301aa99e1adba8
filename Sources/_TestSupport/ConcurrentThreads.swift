import Foundation
import Synchronization

/// Concurrency helpers for tests that share one object (a kernel policy, a tape, a model)
/// between threads.
public enum ConcurrentThreads {
    /// Runs `body(index)` for every index of 0..<count, each on its own new `Thread`, and
    /// returns the results in index order; nil when some body has not finished after `timeout`
    /// seconds (a deadlock then fails the test instead of hanging it).
    ///
    /// The threads start together: each waits until all of them exist, so the bodies overlap.
    /// They are raw threads rather than dispatch workers, so per-thread state is exercised on
    /// threads that the kernels' own worker pool never runs on.
    public static func run<Result: Sendable>(
        _ count: Int, timeout: Double = 30, _ body: @escaping @Sendable (Int) -> Result
    ) -> [Result]? {
        let results = Slots<Result>(count: count)
        let ready = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        for index in 0..<count {
            let thread = Thread {
                ready.signal()
                start.wait()
                results.store(body(index), at: index)
                finished.signal()
            }
            thread.start()
        }
        for _ in 0..<count { ready.wait() }
        for _ in 0..<count { start.signal() }
        let deadline = DispatchTime.now() + timeout
        for _ in 0..<count where finished.wait(timeout: deadline) == .timedOut { return nil }
        return results.all()
    }

    /// Waits for `semaphore` for at most `seconds`; false on a timeout, so orchestrated tests
    /// report a missed step instead of hanging.
    public static func wait(_ semaphore: DispatchSemaphore, seconds: Double = 5) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }
}

/// Named integers that threads write while they run and the test reads afterwards (what each
/// thread saw at each step of an orchestrated overlap).
public final class Observations: Sendable {
    private let values = Mutex<[String: Int]>([:])

    public init() {}

    /// Records `value` under `name` (a later note with the same name replaces it).
    public func note(_ name: String, _ value: Int) {
        values.withLock { $0[name] = value }
    }

    /// Records 1 under `name` when `happened`, else 0.
    public func note(_ name: String, _ happened: Bool) {
        note(name, happened ? 1 : 0)
    }

    /// The value noted under `name`, nil when none was.
    public subscript(name: String) -> Int? { values.withLock { $0[name] } }
}

/// One result slot per thread, written by that thread and read after all have finished.
private final class Slots<Value: Sendable>: Sendable {
    private let values: Mutex<[Value?]>

    init(count: Int) { values = Mutex([Value?](repeating: nil, count: count)) }

    func store(_ value: Value, at index: Int) { values.withLock { $0[index] = value } }

    func all() -> [Value]? {
        values.withLock { slots in
            let filled = slots.compactMap { $0 }
            return filled.count == slots.count ? filled : nil
        }
    }
}

/// An object that is not `Sendable`, shared between `ConcurrentThreads.run`'s threads on
/// purpose, because the test checks the object's own promise that concurrent use is safe (an
/// evaluation-mode model serving several threads).
///
/// `@unchecked Sendable` is sound for that use only, and tests keep to it: the test's thread
/// stops touching the object before `run` starts the threads and resumes only after `run` has
/// joined them, so the only concurrent access is the one under test, where the object guards
/// the state it changes (the models' bank caches sit behind a `Mutex`). Never use it to share
/// an object whose concurrent use the test does not check.
public struct SharedUnderTest<Object: AnyObject>: @unchecked Sendable {
    /// The shared object.
    public let object: Object

    public init(_ object: Object) { self.object = object }
}
