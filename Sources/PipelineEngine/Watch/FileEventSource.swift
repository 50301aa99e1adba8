/// Something that changed in the inbox, as a file-event source reports it. Paths are relative
/// to the inbox, segments separated by `/`.
public enum FileEvent: Sendable, Equatable {
    /// A file was written and closed, or moved in: it may now be complete.
    case file(String)
    /// A folder appeared (created or moved in); files may already be inside.
    case folder(String)
    /// A file or folder was removed or moved away (`HALT` removed resumes intake).
    case removed(String)
    /// Events were lost (the kernel's queue overflowed): the whole inbox must be rescanned.
    case overflow
}

/// Where a watcher learns of changes in its inbox. `InotifyEventSource` (Linux) reports them
/// as they happen; `PollingEventSource` reports none and leaves discovery to the watcher's
/// rescans; tests script them.
public protocol FileEventSource: AnyObject {
    /// Whether events may be missed on this source: the watcher then rescans the inbox often
    /// (`WatchConfiguration.pollInterval`) instead of only as a safety net.
    var isPolling: Bool { get }

    /// Why a source that reports events fell back to polling (a kernel limit), once it has.
    var fallbackReason: String? { get }

    /// The events so far, waiting up to `timeout` seconds (0: do not wait) for the first one.
    /// Returns early, possibly with none, after `interrupt()`.
    func wait(timeout: Double) throws -> [FileEvent]

    /// A handle that wakes a `wait` in progress from any thread (work finished, stop asked).
    var waker: FileEventWaker { get }
}

/// Wakes a waiting `FileEventSource` from any thread.
public struct FileEventWaker: Sendable {
    private let body: @Sendable () -> Void

    public init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }

    /// Makes the current or next `wait` return at once.
    public func wake() {
        body()
    }
}
