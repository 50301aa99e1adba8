import Dispatch
import Foundation
import Synchronization

/// The worker threads of a watcher: cases go in with `submit`, outcomes come back through
/// `takeCompletions` on the watcher's thread, which each finished case wakes.
///
/// Threads start on the first case and each makes its own `WatchCaseWorker`, which never
/// leaves the thread (models keep buffers and are not shared).
final class WatchWorkers: Sendable {
    /// A case handed to a worker: the file (relative to the inbox) and its case.
    struct Task: Sendable {
        var relativePath: String
        var source: CaseSource
    }

    /// A case back from a worker; `failure` when its results could not be written at all.
    struct Completion: Sendable {
        var task: Task
        var result: Result<WatchCaseResult, WatchError>
    }

    private struct State {
        var queue: [Task] = []
        var completions: [Completion] = []
        var threads = 0
        var closed = false
    }

    private let count: Int
    private let handler: any WatchCaseHandler
    private let waker: FileEventWaker
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let busy = DispatchGroup()

    init(count: Int, handler: any WatchCaseHandler, waker: FileEventWaker) {
        self.count = max(1, count)
        self.handler = handler
        self.waker = waker
    }

    /// Queues `task` for the next free worker.
    func submit(_ task: Task) {
        busy.enter()
        let startThread = state.withLock { state -> Bool in
            state.queue.append(task)
            guard state.threads < count else { return false }
            state.threads += 1
            return true
        }
        if startThread {
            let thread = Thread { [self] in work() }
            // Pipelines run deep model code: the stack of a main thread, not a small default.
            thread.stackSize = 8 << 20
            thread.start()
        }
        available.signal()
    }

    /// The cases finished since the last call, in the order they finished.
    func takeCompletions() -> [Completion] {
        state.withLock { state in
            defer { state.completions.removeAll() }
            return state.completions
        }
    }

    /// Blocks until every submitted case has finished (its completion is waiting).
    func waitUntilIdle() {
        busy.wait()
    }

    /// Ends the threads once they are idle.
    func close() {
        let threads = state.withLock { state -> Int in
            state.closed = true
            return state.threads
        }
        for _ in 0..<threads { available.signal() }
    }

    private func work() {
        let worker = handler.makeWorker()
        while true {
            available.wait()
            let next = state.withLock { state -> Task? in
                state.queue.isEmpty ? nil : state.queue.removeFirst()
            }
            guard let task = next else {
                if state.withLock({ $0.closed }) { return }
                continue
            }
            let result: Result<WatchCaseResult, WatchError>
            do {
                result = .success(try worker.process(task.source))
            } catch {
                result = .failure(WatchError(.io, CaseProcessor.message(error,
                                                                        file: task.source.path)))
            }
            state.withLock { $0.completions.append(Completion(task: task, result: result)) }
            busy.leave()
            waker.wake()
        }
    }
}
