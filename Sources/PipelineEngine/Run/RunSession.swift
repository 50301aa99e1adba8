import Foundation
import ImageCodecs
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

/// A case's file as read for processing: its bytes (nil when it could not be read) and the
/// ledger key they give.
public struct CaseInput: Sendable {
    public let source: CaseSource
    public let bytes: [UInt8]?
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

    /// Opens (creating when missing) the ledger of `outputFolder`, which must exist.
    public init(plan: PipelinePlan, outputFolder: String, overwrite: Bool = false) throws {
        self.plan = plan
        self.outputFolder = outputFolder
        self.overwrite = overwrite
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

    /// Reads the case's file once: the digest recorded is that of the bytes analysed, even if
    /// the file changes meanwhile.
    public func read(_ source: CaseSource) -> CaseInput {
        let bytes = FileManager.default.contents(atPath: source.path).map { [UInt8]($0) }
        let digest = bytes.map { ContentHash.hex($0) } ?? ""
        return CaseInput(source: source, bytes: bytes,
                         key: CaseKey(caseID: source.id, inputSHA256: digest,
                                      pipelineHash: plan.contentHash,
                                      modelHashes: plan.modelKey))
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
                                                         inputSHA256: input.key.inputSHA256)
        } else {
            record = CaseRecord(case: source.id, input: source.path, inputSHA256: "")
            record.status = .failed
            record.error = .init(stage: "input", message: "\(source.path): cannot be read "
                                 + "(missing or no permission)")
        }
        let relative = CaseRecord.relativePath(forCase: source.id)
        let path = (outputFolder as NSString).appendingPathComponent(relative)
        let text = try Self.json(record, path: path)
        try CaseOutputWriter.createFolder(of: path)
        try AtomicFile.write(text, to: path)
        try ledger.markFinished(input.key, status: record.status == .ok ? .ok : .failed,
                                record: LedgerOutput(path: relative, sha256: ContentHash.hex(text)),
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

    /// Rewrites the files that summarise the cases `caseIDs` (today `results.csv`, when the
    /// pipeline's `outputs.formats` lists `csv`). `run` calls it when its batch ends and
    /// `watch` whenever its queue runs empty after finishing cases: the place where batch
    /// reports are refreshed as well.
    public func refreshSummaries(caseIDs: [String]) throws {
        if plan.spec.outputs.formats.contains(.csv) {
            try ResultsTable(models: plan.modelRecords).write(caseIDs: caseIDs,
                                                              outputFolder: outputFolder)
        }
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
