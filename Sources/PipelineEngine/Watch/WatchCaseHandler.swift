import Reports

/// What one attempt at a watched case came to.
public enum WatchCaseResult: Sendable {
    /// The stages ran and the case is ok; its record is written.
    case done(CaseRecord)
    /// Complete and unchanged since an earlier run: nothing was redone.
    case skipped
    /// The case failed (its record, when one was written, says why as well). `attempts`
    /// counts the attempts at this input so far, including this one.
    case failed(WatchFailure)
    /// The file was gone when its turn came.
    case vanished
}

/// A failed attempt: why, and how many attempts the input has had.
public struct WatchFailure: Sendable, Equatable {
    /// The stage (`"0 LoadImage"`, `"input"`) and the reason, naming the file.
    public var failure: CaseRecord.Failure
    public var attempts: Int
    /// SHA-256 of the bytes that failed ("" when they could not be read).
    public var inputSHA256: String
    /// The record written for the attempt (`results/CASE.json`), if one was.
    public var record: String?

    public init(failure: CaseRecord.Failure, attempts: Int, inputSHA256: String,
                record: String?) {
        self.failure = failure
        self.attempts = attempts
        self.inputSHA256 = inputSHA256
        self.record = record
    }
}

/// Processes the cases a watcher takes. `SessionCaseHandler` runs the pipeline through a
/// `RunSession`; tests put a scripted one in its place.
public protocol WatchCaseHandler: Sendable {
    /// A worker for the calling thread; each worker thread makes one and keeps it.
    func makeWorker() -> any WatchCaseWorker
}

/// The per-thread half of a `WatchCaseHandler`.
public protocol WatchCaseWorker: AnyObject {
    /// One attempt at the case. Throws only when results cannot be written at all (the output
    /// folder or ledger is unusable): the watcher then stops.
    func process(_ source: CaseSource) throws -> WatchCaseResult
}
