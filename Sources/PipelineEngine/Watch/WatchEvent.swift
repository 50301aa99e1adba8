import Reports

/// What a watcher reports while it works, for logs. Each case ends in exactly one of
/// `finished`, `skipped` or `quarantined` (a failed attempt that will be retried is
/// `failed` with a `retryIn`).
public enum WatchEvent: Sendable {
    /// Watching has begun: the backlog is being taken.
    case started(inbox: String, outputFolder: String, jobs: Int, polling: Bool)
    /// A case's stages ran and it is ok; its record is written.
    case finished(CaseRecord)
    /// A file's complete results from an identical earlier run were kept.
    case skipped(caseID: String, file: String)
    /// An attempt failed; `retryIn` seconds until the next, nil when none is left (the file is
    /// quarantined next).
    case failed(caseID: String, file: String, failure: WatchFailure, maxAttempts: Int,
                retryIn: Double?)
    /// A file was moved to quarantine with its error sidecar.
    case quarantined(caseID: String, file: String, to: String, sidecar: String)
    /// A processed input was moved (`--after move`; `to` is its new path) or deleted (nil).
    case tidied(file: String, to: String?)
    /// `HALT` appeared: no new case is started until it is removed.
    case halted
    /// `HALT` was removed: intake goes on.
    case resumed
    /// The queue ran empty after finishing cases and the summaries (`OUT/reports/`) were
    /// refreshed: the `done` cases finished since the start.
    case idle(counts: WatchCounts)
    /// Something went wrong that does not stop the watcher (a quarantine or move that
    /// failed, inotify falling back to rescans).
    case warning(String)
    /// Stopping was asked for: no new case starts; `inFlight` cases are being finished.
    case stopping(inFlight: Int)
    /// Results could not be written (the output folder is unusable): the watcher stops.
    case writeFailed(caseID: String, message: String)
}

/// How the cases of one watcher's life ended.
public struct WatchCounts: Sendable, Equatable, Codable {
    public var ok = 0
    /// Cases skipped as complete and unchanged.
    public var skipped = 0
    /// Cases that failed every attempt and were quarantined.
    public var quarantined = 0
    /// Attempts that failed (retried or not).
    public var failedAttempts = 0

    public init() {}
}
