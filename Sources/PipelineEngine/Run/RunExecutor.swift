import Dispatch
import Foundation
import Reports
import SafeFiles
import Synchronization

/// Everything a run is asked to do.
public struct RunRequest: Sendable {
    public var plan: PipelinePlan
    /// The pipeline file as given, and its parsed document (for `run.json`).
    public var pipelineFile: String
    public var inputs: [String]
    public var outputFolder: String
    /// Cases processed at once (worker threads).
    public var jobs: Int
    /// Redo every case, even those an identical earlier run completed.
    public var overwrite: Bool
    public var shard: ShardSelection?
    /// Seconds a case may take (nil: the pipeline's `limits.caseTimeoutSeconds`, else none).
    public var caseTimeout: Double?
    /// Name and version written into `run.json`.
    public var toolName: String
    public var toolVersion: String

    public init(plan: PipelinePlan, pipelineFile: String, inputs: [String],
                outputFolder: String, jobs: Int = 1, overwrite: Bool = false,
                shard: ShardSelection? = nil, toolName: String = "equiscan",
                toolVersion: String = "") {
        self.plan = plan
        self.pipelineFile = pipelineFile
        self.inputs = inputs
        self.outputFolder = outputFolder
        self.jobs = jobs
        self.overwrite = overwrite
        self.shard = shard
        self.toolName = toolName
        self.toolVersion = toolVersion
    }
}

/// Why a run could not start or had to stop (not a failed case: those are records).
public struct RunError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// No input found, or an input path missing.
        case noInput
        /// The request contradicts itself (two files for one case, output folder is a file).
        case usage
        /// The output folder cannot be written.
        case io
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }
}

/// What a finished run did.
public struct RunSummary: Sendable, Equatable {
    public var counts: RunManifest.Counts
    /// The folder holding `run.json` and `results/`.
    public var outputFolder: String
}

/// Runs a validated pipeline over every case of the inputs: finds the cases, keeps this
/// shard's, skips those an identical earlier run completed, and processes the rest through a
/// `RunSession` on `jobs` worker threads, each case in its own error boundary. Memory stays bounded: each worker
/// holds one case at a time and records go to disk as they finish, so peak memory does not
/// grow with the number of cases.
public final class RunExecutor: Sendable {
    public let request: RunRequest
    private let stopRequested = Atomic<Bool>(false)

    public init(_ request: RunRequest) {
        self.request = request
    }

    /// Stops taking new cases; cases in flight finish. `run` then returns normally.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// Runs the batch; `onEvent` is called from worker threads (one call at a time).
    public func run(onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) throws
        -> RunSummary {
        let out = request.outputFolder
        try Self.prepareOutputFolder(out, inputs: request.inputs)
        try Self.refuseWatchedFolder(out)
        let allCases: [CaseSource]
        do {
            allCases = try CaseDiscovery.discover(inputs: request.inputs,
                                                  selection: request.plan.spec.inputs,
                                                  skipping: out)
        } catch let error as CaseDiscoveryError {
            throw RunError(kind: error.kind == .missingInput ? .noInput : .usage,
                           message: error.message)
        }
        guard !allCases.isEmpty else {
            throw RunError(kind: .noInput, message: "no scans found in "
                           + request.inputs.joined(separator: ", ") + " (inputs.include: "
                           + request.plan.spec.inputs.include.joined(separator: ", ") + ")")
        }
        let cases = request.shard.map { shard in
            allCases.filter { shard.contains(caseID: $0.id) }
        } ?? allCases
        ProtectedInputs.shared.protect(allCases.flatMap(\.files) + [request.pipelineFile])

        let session = try RunSession(plan: request.plan, outputFolder: out,
                                     overwrite: request.overwrite,
                                     caseTimeout: request.caseTimeout)
        var manifest = session.manifest(inputs: request.inputs, pipelineFile: request.pipelineFile,
                                        shard: request.shard, toolName: request.toolName,
                                        toolVersion: request.toolVersion)
        try session.write(manifest)

        let jobs = max(1, min(request.jobs, cases.count))
        RunSession.shareCores(among: jobs)
        onEvent(.started(cases: cases.count, jobs: jobs))

        let tally = Mutex(RunManifest.Counts(cases: cases.count, ok: 0, failed: 0, skipped: 0))
        let writeFailure = Mutex<RunError?>(nil)
        let next = Atomic<Int>(0)
        let events = Mutex(())
        let emit: @Sendable (RunEvent) -> Void = { event in
            events.withLock { _ in onEvent(event) }
        }
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            let worker = session.makeWorker()
            while !stopRequested.load(ordering: .acquiring) {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < cases.count else { return }
                let source = cases[index]
                do {
                    switch try session.process(source, on: worker) {
                    case .done(let record):
                        tally.withLock { record.status == .ok ? ($0.ok += 1) : ($0.failed += 1) }
                        emit(.finished(record))
                    case .skipped:
                        tally.withLock { $0.skipped += 1 }
                        emit(.skipped(caseID: source.id))
                    }
                } catch {
                    let message = CaseProcessor.message(error, file: source.path)
                    writeFailure.withLock { $0 = $0 ?? RunError(kind: .io, message: message) }
                    emit(.writeFailed(caseID: source.id, message: message))
                    stop()
                }
            }
        }
        if let failure = writeFailure.withLock({ $0 }) { throw failure }
        let counts = tally.withLock { $0 }
        manifest.endedAt = RunManifest.timestamp()
        manifest.counts = counts
        try session.write(manifest)
        try session.refreshSummaries()
        return RunSummary(counts: counts, outputFolder: out)
    }

    /// Refuses an output folder that a live `equiscan watch` writes into: the two would
    /// write the same records and reports at once.
    static func refuseWatchedFolder(_ out: String) throws {
        let (holder, live) = WatchLock.holder(outputFolder: out)
        guard live else { return }
        let who = holder.map { "pid \($0.pid) on host \($0.host)" } ?? "another process"
        throw RunError(kind: .io, message: "\(out): a watcher (\(who)) is writing into this "
                       + "folder; stop it first (see equiscan status), or run into another "
                       + "output folder")
    }

    /// Creates the output folder when missing; refuses one that is a file or one of the
    /// input folders.
    static func prepareOutputFolder(_ out: String, inputs: [String]) throws {
        let target = CaseDiscovery.canonical(out)
        for input in inputs where CaseDiscovery.canonical(input) == target {
            throw RunError(kind: .usage, message: "\(out): the output folder is the input "
                           + "folder \(input); give the results a folder of their own (one "
                           + "inside the input folder is fine: it is not searched for scans)")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw RunError(kind: .usage, message: "\(out): the output folder is a file")
            }
        } else {
            do {
                try OutputModes.createFolder(out)
            } catch {
                throw RunError(kind: .io, message: "\(out): cannot create the output folder")
            }
        }
    }
}
