import Dispatch
import Foundation
import ImageCodecs
import ModelRuntime
import SafeFiles
import StrictJSON
import Synchronization
import TensorCore

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
/// shard's, skips those an identical earlier run completed, and processes the rest on `jobs`
/// worker threads, each case in its own error boundary. Memory stays bounded: each worker
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
        try prepareOutputFolder(out)
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

        var manifest = RunManifest(
            tool: .init(name: request.toolName, version: request.toolVersion),
            pipeline: .init(file: request.pipelineFile, name: request.plan.spec.name,
                            sha256: request.plan.contentHash, resolved: request.plan.document),
            models: request.plan.modelRecords, inputs: request.inputs,
            host: ProcessInfo.processInfo.hostName, startedAt: RunManifest.timestamp(),
            shard: request.shard.map { .init(index: $0.index, count: $0.count) })
        let ledger = try RunLedger.open(outputFolder: out)
        let manifestPath = (out as NSString).appendingPathComponent("run.json")
        try AtomicFile.writeJSON(manifest, to: manifestPath)

        let jobs = max(1, min(request.jobs, cases.count))
        // Workers split the cores; each case's kernels use the rest, and BLAS never
        // oversubscribes (ThreadPolicy keeps OpenBLAS at 1 thread inside regions).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        ThreadPolicy.workerCount = max(1, cores / jobs)
        onEvent(.started(cases: cases.count, jobs: jobs))

        let tally = Mutex(RunManifest.Counts(cases: cases.count, ok: 0, failed: 0, skipped: 0))
        let writeFailure = Mutex<RunError?>(nil)
        let next = Atomic<Int>(0)
        let events = Mutex(())
        let emit: @Sendable (RunEvent) -> Void = { event in
            events.withLock { _ in onEvent(event) }
        }
        let request = self.request
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            let processor = CaseProcessor(plan: request.plan, outputFolder: out)
            while !stopRequested.load(ordering: .acquiring) {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < cases.count else { return }
                let source = cases[index]
                do {
                    switch try runCase(source, processor, ledger) {
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
        if request.plan.spec.outputs.formats.contains(.csv) {
            try ResultsTable(models: manifest.models).write(caseIDs: cases.map(\.id),
                                                            outputFolder: out)
        }
        let counts = tally.withLock { $0 }
        manifest.endedAt = RunManifest.timestamp()
        manifest.counts = counts
        try AtomicFile.writeJSON(manifest, to: manifestPath)
        return RunSummary(counts: counts, outputFolder: out)
    }

    /// What became of one case.
    enum CaseOutcome {
        case done(CaseRecord)
        /// Complete and unchanged since an earlier run: its files were kept.
        case skipped
    }

    /// One case: read and hash the input, skip it when the ledger holds complete results of
    /// the same input, pipeline and models, else run the stages, write the record and enter
    /// the outcome in the ledger. Throws only when the output folder or the ledger cannot be
    /// written (a problem of the run, not of the case).
    private func runCase(_ source: CaseSource, _ processor: CaseProcessor,
                         _ ledger: RunLedger) throws -> CaseOutcome {
        let out = request.outputFolder
        // Each file is read once, without following a symlink out of the input folder and
        // without opening anything but a regular file.
        var readFailure: String?
        let bytes: [[UInt8]] = source.problem != nil ? [] : source.files.map { file in
            guard readFailure == nil else { return [] }
            do {
                return try InputFile.read(try CaseDiscovery.readablePath(file, root: source.root))
            } catch {
                readFailure = String(describing: error)
                return []
            }
        }
        let readable = source.problem == nil && readFailure == nil
        let digest = readable ? Self.digest(bytes) : ""
        let key = CaseKey(caseID: source.id, inputSHA256: digest,
                          pipelineHash: request.plan.contentHash,
                          modelHashes: request.plan.modelKey)
        if !request.overwrite, readable, try ledger.reusable(key, outputFolder: out) != nil {
            return .skipped
        }
        try ledger.markStarted(key)
        var record: CaseRecord
        var outputs: [(path: String, sha256: String)] = []
        if readable {
            (record, outputs) = processor.process(
                source, bytes: bytes, inputSHA256: digest,
                timeLimit: request.caseTimeout ?? request.plan.spec.caseTimeoutSeconds)
        } else {
            record = CaseRecord(case: source.id, input: source.path, inputSHA256: digest)
            record.status = .failed
            record.error = .init(stage: "input", message: source.problem ?? readFailure
                                 ?? "\(source.path): cannot be read")
        }
        let relative = CaseRecord.relativePath(forCase: source.id)
        let path = (out as NSString).appendingPathComponent(relative)
        let text = try Self.json(record, path: path)
        try CaseOutputWriter.createFolder(of: path)
        try AtomicFile.write(text, to: path)
        try ledger.markFinished(key, status: record.status == .ok ? .ok : .failed,
                                record: LedgerOutput(path: relative, sha256: ContentHash.hex(text)),
                                outputs: outputs.map {
                                    LedgerOutput(path: $0.path, sha256: $0.sha256)
                                })
        return .done(record)
    }

    /// The SHA-256 of a case's files: of the file's bytes for a one-file case; for nnU-Net
    /// channel files, of each file's length (8 bytes, big-endian) and bytes in channel order,
    /// so that moving bytes between channels changes it.
    static func digest(_ files: [[UInt8]]) -> String {
        guard files.count > 1 else { return ContentHash.hex(files.first ?? []) }
        var hasher = ContentHash.Hasher()
        for file in files {
            let length = UInt64(file.count).bigEndian
            hasher.update(withUnsafeBytes(of: length) { Array($0) })
            hasher.update(file)
        }
        return hasher.finalize()
    }

    /// The record as pretty, key-sorted JSON bytes with a final newline.
    static func json(_ record: CaseRecord, path: String) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(record)) + [0x0A]
        } catch {
            throw SafeFileError(.invalidDestination, path: path,
                                "cannot write the record: a value is not a finite number")
        }
    }

    private func prepareOutputFolder(_ out: String) throws {
        let target = CaseDiscovery.canonical(out)
        for input in request.inputs where CaseDiscovery.canonical(input) == target {
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
                try FileManager.default.createDirectory(atPath: out,
                                                        withIntermediateDirectories: true)
            } catch {
                throw RunError(kind: .io, message: "\(out): cannot create the output folder")
            }
        }
    }
}
