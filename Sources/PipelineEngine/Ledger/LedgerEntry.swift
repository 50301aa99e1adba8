import Foundation

/// What decides whether a finished case can be reused: the case and everything its result
/// depends on. A rerun reuses a case only when all four are unchanged.
public struct CaseKey: Sendable, Hashable, Codable {
    /// The case id: the input's path relative to its input root, without extension.
    public var caseID: String
    /// SHA-256 of the input file, in hexadecimal.
    public var inputSHA256: String
    /// SHA-256 of the resolved pipeline.
    public var pipelineHash: String
    /// The models' weight hashes as one string (see `combinedModelHashes`).
    public var modelHashes: String

    public init(caseID: String, inputSHA256: String, pipelineHash: String, modelHashes: String) {
        self.caseID = caseID
        self.inputSHA256 = inputSHA256
        self.pipelineHash = pipelineHash
        self.modelHashes = modelHashes
    }

    /// The models' hashes as one string: `name=sha256` pairs sorted by name, joined by `,`, so
    /// that the order in which stages list their models does not matter ("" without models).
    public static func combinedModelHashes(_ hashByName: [String: String]) -> String {
        hashByName.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: ",")
    }
}

/// Where a case stands in the ledger.
public enum CaseStatus: String, Sendable, Codable, CaseIterable {
    /// Started and not finished: still in progress, or its process was killed.
    case running
    /// Finished with a result.
    case ok
    /// Finished with an error, recorded in its results file.
    case failed
}

/// A file a case wrote, with the SHA-256 it had when written.
public struct LedgerOutput: Sendable, Hashable, Codable {
    /// The path relative to the output folder (`results/a/b.json`, `a/b_mask.png`).
    public var path: String
    /// SHA-256 of the file's bytes, in hexadecimal.
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}

/// One case as the ledger holds it.
public struct LedgerEntry: Sendable, Equatable, Codable {
    /// The case and what its result depends on.
    public var key: CaseKey
    public var status: CaseStatus
    /// The case's results file (`results/CASE.json`); nil while running.
    public var record: LedgerOutput?
    /// The other files the case wrote, in the order given; empty while running.
    public var outputs: [LedgerOutput]
    /// When the latest attempt started.
    public var startedAt: Date
    /// When the latest attempt finished; nil while running.
    public var finishedAt: Date?
    /// How many times the case has been started with this key (1 on the first run; a rerun
    /// after a kill or a failure adds one; a changed key starts again from 1).
    public var attempts: Int

    public init(key: CaseKey, status: CaseStatus, record: LedgerOutput?, outputs: [LedgerOutput],
                startedAt: Date, finishedAt: Date?, attempts: Int) {
        self.key = key
        self.status = status
        self.record = record
        self.outputs = outputs
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
    }
}
