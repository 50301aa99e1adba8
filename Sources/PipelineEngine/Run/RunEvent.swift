import Reports

/// What a run reports while it works, for progress displays and logs.
public enum RunEvent: Sendable {
    /// The cases are known; work starts.
    case started(cases: Int, jobs: Int)
    /// A case finished (ok or failed); its record is written.
    case finished(CaseRecord)
    /// A case's complete results from an identical earlier run were kept.
    case skipped(caseID: String)
    /// A case's record or outputs could not be written (the folder is unusable); the run
    /// stops.
    case writeFailed(caseID: String, message: String)
}
