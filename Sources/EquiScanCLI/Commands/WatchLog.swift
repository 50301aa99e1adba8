import Foundation
import Logging
import PipelineEngine

/// What `watch` prints: one line per case as it ends (done or skipped on standard output,
/// failed attempts and quarantines on standard error), lines for HALT, stops and warnings; or,
/// with `--log-format json`, one JSON object per line on standard output through swift-log.
final class WatchLog: Sendable {
    private let format: RunLogFormat
    private let logger: Logger

    init(format: RunLogFormat) {
        self.format = format
        logger = Logger(label: "equiscan.watch") { label in JSONLinesLogHandler(label: label) }
    }

    func handle(_ event: WatchEvent) {
        switch event {
        case .started(let inbox, let outputFolder, let jobs, let polling):
            info("watching", ["inbox": "\(inbox)", "output": "\(outputFolder)", "jobs": "\(jobs)",
                              "events": "\(polling ? "rescans" : "inotify")"],
                 text: "watching \(inbox) (results in \(outputFolder), \(jobs) job"
                    + (jobs == 1 ? "" : "s") + (polling ? ", rescanning" : "") + ")")
        case .finished(let record):
            if format == .json {
                logger.info("case done", metadata: RunProgress.metadata(record))
            } else {
                line(RunProgress.line(record))
            }
        case .skipped(let caseID, let file):
            info("case skipped", ["case": "\(caseID)", "file": "\(file)",
                                  "reason": "complete and unchanged"],
                 text: "\(caseID): skipped (complete and unchanged)")
        case .failed(let caseID, let file, let failure, let maxAttempts, let retryIn):
            let next = retryIn.map { "retrying in \(Self.seconds($0))" } ?? "quarantining"
            warn("case failed", ["case": "\(caseID)", "file": "\(file)",
                                 "stage": "\(failure.failure.stage)",
                                 "message": "\(failure.failure.message)",
                                 "attempt": "\(failure.attempts)",
                                 "maxAttempts": "\(maxAttempts)", "next": "\(next)"],
                 text: "\(caseID): attempt \(failure.attempts) of \(maxAttempts) failed at "
                    + "stage \(failure.failure.stage): \(failure.failure.message); \(next)")
        case .quarantined(let caseID, let file, let destination, let sidecar):
            warn("case quarantined", ["case": "\(caseID)", "file": "\(file)",
                                      "quarantined": "\(destination)", "sidecar": "\(sidecar)"],
                 text: "\(caseID): \(file) quarantined to \(destination) (why: \(sidecar))")
        case .tidied(let file, let destination):
            if format == .json {
                let message: Logger.Message = destination == nil ? "input deleted" : "input moved"
                logger.info(message, metadata: ["file": "\(file)", "to": "\(destination ?? "")"])
            }
        case .halted:
            info("paused", ["reason": "HALT"],
                 text: "HALT found in the inbox: no new case starts until it is removed")
        case .resumed:
            info("resumed", [:], text: "HALT removed: intake resumed")
        case .idle(let counts):
            if format == .json {
                logger.info("queue empty", metadata: Self.metadata(counts))
            }
        case .warning(let message):
            warn("warning", ["message": "\(message)"], text: "warning: \(message)")
        case .stopping(let inFlight):
            info("stopping", ["inFlight": "\(inFlight)"],
                 text: "stopping: finishing \(inFlight) case\(inFlight == 1 ? "" : "s") in flight")
        case .writeFailed(let caseID, let message):
            if format == .json {
                logger.error("write failed", metadata: ["case": "\(caseID)",
                                                        "message": "\(message)"])
            } else {
                ErrorReporter.printError(message)
            }
        }
    }

    /// Called on the signal queue when SIGINT or SIGTERM asks the watcher to stop.
    func stopRequested(by signalName: String) {
        info("stop requested", ["signal": "\(signalName)"],
             text: "\(signalName): no new case starts; send it again to abandon the cases in "
                + "flight")
    }

    /// The closing line.
    func finish(_ counts: WatchCounts, outputFolder: String) {
        let results = (outputFolder as NSString).appendingPathComponent("results")
        var metadata = Self.metadata(counts)
        metadata["output"] = "\(outputFolder)"
        info("watch finished", metadata,
             text: "\(counts.ok) ok, \(counts.skipped) skipped (unchanged), "
                + "\(counts.quarantined) quarantined; records in \(results)/")
    }

    private static func metadata(_ counts: WatchCounts) -> Logger.Metadata {
        ["ok": "\(counts.ok)", "skipped": "\(counts.skipped)",
         "quarantined": "\(counts.quarantined)", "failedAttempts": "\(counts.failedAttempts)"]
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    private func info(_ message: Logger.Message, _ metadata: Logger.Metadata, text: String) {
        if format == .json {
            logger.info(message, metadata: metadata)
        } else {
            line(text)
        }
    }

    private func warn(_ message: Logger.Message, _ metadata: Logger.Metadata, text: String) {
        if format == .json {
            logger.warning(message, metadata: metadata)
        } else {
            ErrorReporter.printError(text)
        }
    }

    private func line(_ text: String) {
        print(text)
        StandardStreams.flushOutput()
    }
}
