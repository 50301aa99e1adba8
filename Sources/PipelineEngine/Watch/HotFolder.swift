import Foundation
import Reports
import SafeFiles

/// `equiscan watch` as a library call: checks the inbox and the output folder, takes the
/// output folder's watch lock, opens the run session (the ledger `run` uses), writes
/// `run.json`, and watches with inotify (or rescans where inotify is missing, and with
/// `once`) until stopped or, with `once`, until the inbox is worked off.
public final class HotFolder: Sendable {
    public let configuration: WatchConfiguration
    public let plan: PipelinePlan
    /// The pipeline file as given, for `run.json`.
    public let pipelineFile: String
    public let toolName: String
    public let toolVersion: String
    /// Stops the watcher from any thread (SIGINT, SIGTERM), also before it has started.
    public let control = WatchControl()

    public init(configuration: WatchConfiguration, plan: PipelinePlan, pipelineFile: String,
                toolName: String = "equiscan", toolVersion: String = "") {
        self.configuration = configuration
        self.plan = plan
        self.pipelineFile = pipelineFile
        self.toolName = toolName
        self.toolVersion = toolVersion
    }

    /// Watches; returns how the cases ended once stopped (or worked off, with `once`).
    /// `onEvent` is called on the calling thread. Throws `WatchError` (inbox missing, lock
    /// held, inotify unusable), `RunError` (output folder unusable), `LedgerError` or
    /// `SafeFileError` before watching starts, and the `WatchError` of results that could not
    /// be written, which stops the watcher.
    public func run(onEvent: @escaping (WatchEvent) -> Void) throws -> WatchCounts {
        let inbox = configuration.inbox
        let out = configuration.outputFolder
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: inbox, isDirectory: &isFolder),
              isFolder.boolValue else {
            throw WatchError(.noInput, "\(inbox): no such folder; create the inbox first")
        }
        try RunExecutor.prepareOutputFolder(out, inputs: [inbox])
        let rules = configuration.rules
        let holder = WatchLock.Holder(
            pid: ProcessInfo.processInfo.processIdentifier,
            host: ProcessInfo.processInfo.hostName, inbox: CaseDiscovery.canonical(inbox),
            startedAt: RunManifest.timestamp(), include: plan.spec.inputs.include,
            exclude: plan.spec.inputs.exclude, readySentinel: rules.readySentinel)
        let lock = try WatchLock.acquire(outputFolder: out, holder: holder)
        defer { withExtendedLifetime(lock) {} }
        ProtectedInputs.shared.protect([pipelineFile])
        let session = try RunSession(plan: plan, outputFolder: out,
                                     caseTimeout: configuration.caseTimeout)
        var manifest = session.manifest(inputs: [inbox], pipelineFile: pipelineFile,
                                        shard: nil, toolName: toolName,
                                        toolVersion: toolVersion)
        try session.write(manifest)
        RunSession.shareCores(among: configuration.jobs)

        let events = try eventSource(onEvent)
        let watcher = Watcher(
            configuration: configuration,
            handler: SessionCaseHandler(session: session,
                                        maxAttempts: configuration.maxAttempts),
            events: events, control: control,
            refresh: { _ in try session.refreshSummaries() },
            onEvent: onEvent)
        let counts = try watcher.run()
        manifest.endedAt = RunManifest.timestamp()
        manifest.counts = RunManifest.Counts(
            cases: counts.ok + counts.skipped + counts.quarantined, ok: counts.ok,
            failed: counts.quarantined, skipped: counts.skipped)
        try session.write(manifest)
        return counts
    }

    /// inotify on Linux (rescans when it cannot start, with a warning), else rescans.
    private func eventSource(_ onEvent: (WatchEvent) -> Void) throws -> any FileEventSource {
        if configuration.once { return try PollingEventSource() }
        #if os(Linux)
        do {
            return try InotifyEventSource(inbox: configuration.inbox,
                                          skipping: configuration.outputFolder)
        } catch let error as WatchError {
            onEvent(.warning("\(error.message); rescanning the inbox every "
                             + "\(configuration.pollInterval) s instead"))
            return try PollingEventSource()
        }
        #else
        return try PollingEventSource()
        #endif
    }
}
