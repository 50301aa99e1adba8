import Foundation
import Reports

/// Runs watched cases through a `RunSession`: the same ledger keys, records and outputs as
/// `equiscan run`, so a file dropped again with the same content is skipped and a file
/// replaced with new content is redone.
///
/// An input whose attempts were cut short `maxAttempts` times (the watcher killed or crashed
/// while processing it, as a scan that crashes a decoder would do) is failed without another
/// attempt, so that one poisonous file cannot stop a watcher forever.
public struct SessionCaseHandler: WatchCaseHandler {
    public let session: RunSession
    public let maxAttempts: Int

    public init(session: RunSession, maxAttempts: Int) {
        self.session = session
        self.maxAttempts = maxAttempts
    }

    public func makeWorker() -> any WatchCaseWorker {
        SessionCaseWorker(session: session, worker: session.makeWorker(),
                          maxAttempts: maxAttempts)
    }
}

final class SessionCaseWorker: WatchCaseWorker {
    let session: RunSession
    let worker: RunWorker
    let maxAttempts: Int

    init(session: RunSession, worker: RunWorker, maxAttempts: Int) {
        self.session = session
        self.worker = worker
        self.maxAttempts = maxAttempts
    }

    func process(_ source: CaseSource) throws -> WatchCaseResult {
        let input = session.read(source)
        if input.bytes == nil, !InboxFiles.exists(source.path) {
            return .vanished
        }
        if try session.isComplete(input) { return .skipped }
        if let entry = try session.ledger.entry(caseID: source.id), entry.key == input.key,
           entry.status == .running, entry.attempts >= maxAttempts {
            let failure = CaseRecord.Failure(
                stage: "input",
                message: "\(source.path): processing was cut short \(entry.attempts) times "
                    + "(the watcher was killed or crashed while working on it)")
            return .failed(WatchFailure(failure: failure, attempts: entry.attempts,
                                        inputSHA256: input.key.inputSHA256, record: nil))
        }
        let record = try session.execute(input, on: worker)
        guard record.status == .failed, let error = record.error else { return .done(record) }
        let attempts = try session.ledger.entry(caseID: source.id)?.attempts ?? 1
        return .failed(WatchFailure(failure: error, attempts: attempts,
                                    inputSHA256: input.key.inputSHA256,
                                    record: CaseRecord.relativePath(forCase: source.id)))
    }
}
