import Foundation
import ImageCodecs
import Reports
import SafeFiles
import StrictJSON
import TensorCore

/// What became of one case.
public enum CaseOutcome: Sendable {
    /// The stages ran; the record (ok or failed) is written and entered in the ledger.
    case done(CaseRecord)
    /// Complete and unchanged since an earlier run: its files were kept.
    case skipped
}

/// A case's files as read for processing: their bytes (nil when the case cannot be read,
/// with the reason) and the ledger key they give.
public struct CaseInput: Sendable {
    public let source: CaseSource
    /// One entry per file (one, or one per nnU-Net channel), in channel order.
    public let bytes: [[UInt8]]?
    /// Why the case was not read (a symlink out of the input folder, a FIFO, a gap in the
    /// channel numbering, a missing file); nil when `bytes` is set.
    public let failure: String?
    public let key: CaseKey
}

/// The state one worker thread keeps between cases: its own model instances (modules keep
/// buffers between calls and are not shared across threads). Create one per thread with
/// `RunSession.makeWorker()` and use it on that thread only.
public final class RunWorker {
    let processor: CaseProcessor

    init(processor: CaseProcessor) {
        self.processor = processor
    }
}

/// One pipeline writing into one output folder through its ledger: processes cases one at a
/// time per worker, for as long as it lives. `equiscan run` holds one for a batch and
/// `equiscan watch` for the life of the watcher; both file a case the same way (records at
/// `results/CASE.json`, outputs named after the case id, the ledger keyed by case id, input
/// SHA-256, pipeline hash and model hashes).
///
/// Safe to share between worker threads: the plan is a value, the ledger serialises its own
/// calls, and each thread brings its own `RunWorker`.
public final class RunSession: Sendable {
    public let plan: PipelinePlan
    public let outputFolder: String
    public let ledger: RunLedger
    /// Redo every case, even those an identical earlier run completed.
    public let overwrite: Bool
    /// Seconds a case may take before it fails as timed out; nil: no limit.
    public let caseTimeout: Double?

    /// Opens (creating when missing) the ledger of `outputFolder`, which must exist.
    /// `caseTimeout` defaults to the pipeline's `limits.caseTimeoutSeconds`.
    public init(plan: PipelinePlan, outputFolder: String, overwrite: Bool = false,
                caseTimeout: Double? = nil) throws {
        self.plan = plan
        self.outputFolder = outputFolder
        self.overwrite = overwrite
        self.caseTimeout = caseTimeout ?? plan.spec.caseTimeoutSeconds
        ledger = try RunLedger.open(outputFolder: outputFolder)
    }

    /// Shares the cores between `jobs` cases processed at once: each case's kernels get the
    /// rest, and BLAS never oversubscribes (ThreadPolicy keeps OpenBLAS at 1 thread inside
    /// regions).
    public static func shareCores(among jobs: Int) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        ThreadPolicy.workerCount = max(1, cores / max(1, jobs))
    }

    /// A worker for the calling thread.
    public func makeWorker() -> RunWorker {
        RunWorker(processor: CaseProcessor(plan: plan, outputFolder: outputFolder))
    }

    /// One case from start to end: read and hash the input, skip it when the ledger holds
    /// complete results of the same input, pipeline and models, else run the stages, write the
    /// record and enter the outcome in the ledger. Throws only when the output folder or the
    /// ledger cannot be written (a problem of the session, not of the case).
    public func process(_ source: CaseSource, on worker: RunWorker) throws -> CaseOutcome {
        let input = read(source)
        if try isComplete(input) { return .skipped }
        return .done(try execute(input, on: worker))
    }

    /// Reads the case's files once: the digest recorded is that of the bytes analysed, even if
    /// a file changes meanwhile. Each file is opened without following a symlink out of the
    /// input folder and read only when it is a regular file (`InputFile`).
    public func read(_ source: CaseSource) -> CaseInput {
        var failure = source.problem
        var bytes: [[UInt8]] = []
        if failure == nil {
            for file in source.files {
                do {
                    bytes.append(try InputFile.read(
                        try CaseDiscovery.readablePath(file, root: source.root)))
                } catch {
                    failure = String(describing: error)
                    break
                }
            }
        }
        let digest = failure == nil ? Self.digest(bytes) : ""
        return CaseInput(source: source, bytes: failure == nil ? bytes : nil, failure: failure,
                         key: CaseKey(caseID: source.id, inputSHA256: digest,
                                      pipelineHash: plan.contentHash,
                                      modelHashes: plan.modelKey))
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

    /// Whether the case's complete results from the same input, pipeline and models are
    /// already there (never with `overwrite`, never for an unreadable file).
    public func isComplete(_ input: CaseInput) throws -> Bool {
        guard !overwrite, input.bytes != nil else { return false }
        return try ledger.reusable(input.key, outputFolder: outputFolder) != nil
    }

    /// Runs the stages on the input (an unreadable file gives a failed record), writes
    /// `results/CASE.json` and enters the outcome in the ledger; returns the record.
    public func execute(_ input: CaseInput, on worker: RunWorker) throws -> CaseRecord {
        let source = input.source
        try ledger.markStarted(input.key)
        var record: CaseRecord
        var outputs: [(path: String, sha256: String)] = []
        if let bytes = input.bytes {
            (record, outputs) = worker.processor.process(source, bytes: bytes,
                                                         inputSHA256: input.key.inputSHA256,
                                                         timeLimit: caseTimeout)
        } else {
            record = CaseRecord(case: source.id, input: source.path, inputSHA256: "")
            record.status = .failed
            record.error = .init(stage: "input", message: input.failure
                                 ?? "\(source.path): cannot be read")
        }
        let relative = CaseRecord.relativePath(forCase: source.id)
        let path = (outputFolder as NSString).appendingPathComponent(relative)
        let text = try Self.json(record, path: path)
        try CaseOutputWriter.createFolder(of: path)
        try AtomicFile.write(text, to: path)
        try ledger.markFinished(input.key, status: record.status == .ok ? .ok : .failed,
                                record: LedgerOutput(path: relative,
                                                     sha256: ContentHash.hex(text)),
                                outputs: outputs.map {
                                    LedgerOutput(path: $0.path, sha256: $0.sha256)
                                })
        return record
    }

    /// `run.json` of a run over `inputs`, started now, without its end and counts.
    public func manifest(inputs: [String], pipelineFile: String, shard: ShardSelection?,
                         toolName: String, toolVersion: String) -> RunManifest {
        RunManifest(
            tool: .init(name: toolName, version: toolVersion),
            pipeline: .init(file: pipelineFile, name: plan.spec.name,
                            sha256: plan.contentHash, resolved: plan.document),
            models: plan.modelRecords, inputs: inputs,
            host: ProcessInfo.processInfo.hostName, startedAt: RunManifest.timestamp(),
            shard: shard.map { .init(index: $0.index, count: $0.count) })
    }

    /// Writes `manifest` to `OUT/run.json`.
    public func write(_ manifest: RunManifest) throws {
        try AtomicFile.writeJSON(manifest, to: (outputFolder as NSString)
            .appendingPathComponent("run.json"))
    }

    /// Rewrites the reports of the output folder (`OUT/reports/`, `ReportWriter.refresh`)
    /// from every record there. `run` calls it when its batch ends (after `run.json` has its
    /// end and counts) and `watch` whenever its queue runs empty after finishing cases.
    public func refreshSummaries() throws {
        try ReportWriter.refresh(outputFolder: outputFolder, ledger: ledger)
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
}
