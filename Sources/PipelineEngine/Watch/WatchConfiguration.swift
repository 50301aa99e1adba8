/// What a watcher does with an input once its results are complete.
public enum AfterProcessing: String, Sendable, CaseIterable {
    /// Leaves it in the inbox (a rerun or restart skips it through the ledger).
    case leave
    /// Moves it to `OUT/processed/` under its path relative to the inbox, never over a file.
    case move
    /// Deletes it.
    case delete
}

/// How a watcher behaves; times in seconds.
public struct WatchConfiguration: Sendable {
    /// The folder files are dropped into (searched recursively, as `run` searches its inputs).
    public var inbox: String
    public var outputFolder: String
    /// Which files are cases (the pipeline's `inputs`), and whether each needs a
    /// `NAME.ready` sentinel.
    public var rules: IntakeRules
    /// How long a file's size and modification time must stay unchanged before it is taken
    /// (default 2: long enough for a copy in progress to show growth on local disks and NFS).
    public var settle: Double
    /// Cases processed at once (worker threads).
    public var jobs: Int
    /// Process what is in the inbox, then return (cron and CI) instead of watching.
    public var once: Bool
    public var after: AfterProcessing
    /// Attempts after the first failure before a file is quarantined (default 2).
    public var retries: Int
    /// Wait between attempts at a failed case (default 10).
    public var retryDelay: Double
    /// How often the whole inbox is rescanned as a safety net for lost events and network
    /// file systems (default 30).
    public var rescanInterval: Double
    /// How often it is rescanned when the event source cannot report events (default 1).
    public var pollInterval: Double
    /// Seconds a case may take before it fails as timed out (default 300: a watcher must not
    /// stall on one runaway scan); the pipeline's `limits.caseTimeoutSeconds` when nil.
    public var caseTimeout: Double? = 300

    public init(inbox: String, outputFolder: String, rules: IntakeRules, settle: Double = 2,
                jobs: Int = 1, once: Bool = false, after: AfterProcessing = .leave,
                retries: Int = 2, retryDelay: Double = 10, rescanInterval: Double = 30,
                pollInterval: Double = 1) {
        self.inbox = inbox
        self.outputFolder = outputFolder
        self.rules = rules
        self.settle = settle
        self.jobs = jobs
        self.once = once
        self.after = after
        self.retries = retries
        self.retryDelay = retryDelay
        self.rescanInterval = rescanInterval
        self.pollInterval = pollInterval
    }

    /// Attempts a case gets before it is quarantined.
    public var maxAttempts: Int { 1 + max(0, retries) }
}
