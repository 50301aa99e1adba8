import Foundation
import Logging
import PipelineEngine
import Reports
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `run` shows while it works: a progress bar on a terminal (done, failed, total, rate,
/// ETA) with failures printed above it; one line per case when standard error is not a
/// terminal; or, with `--log-format json`, one JSON object per line on standard output
/// through swift-log.
final class RunProgress: Sendable {
    private struct State {
        var total = 0
        var done = 0
        var failed = 0
        var skipped = 0
        var started = Date()
        var lastDraw = Date.distantPast
    }

    private let format: RunLogFormat
    private let outputFolder: String
    private let isTerminal: Bool
    private let state = Mutex(State())
    private let logger: Logger

    init(format: RunLogFormat, outputFolder: String) {
        self.format = format
        self.outputFolder = outputFolder
        isTerminal = format == .text && isatty(STDERR_FILENO) == 1
        logger = Logger(label: "equiscan.run") { label in JSONLinesLogHandler(label: label) }
    }

    func handle(_ event: RunEvent) {
        state.withLock { state in
            switch event {
            case .started(let cases, let jobs):
                state.total = cases
                state.started = Date()
                if format == .json {
                    logger.info("run started", metadata: ["cases": "\(cases)",
                                                          "jobs": "\(jobs)",
                                                          "output": "\(outputFolder)"])
                }
            case .finished(let record):
                state.done += 1
                if record.status == .failed { state.failed += 1 }
                report(record)
            case .skipped(let caseID):
                state.done += 1
                state.skipped += 1
                if format == .json {
                    logger.info("case skipped", metadata: ["case": "\(caseID)",
                                                           "reason": "complete and unchanged"])
                } else if !isTerminal {
                    print("\(LogText.escaped(caseID)): skipped (complete and unchanged)")
                }
            case .writeFailed(let caseID, let message):
                if format == .json {
                    logger.error("write failed", metadata: ["case": "\(caseID)",
                                                            "message": "\(message)"])
                } else {
                    clearBar()
                    ErrorReporter.printError(LogText.escaped(message))
                }
            }
            if isTerminal { draw(&state) }
        }
    }

    /// The closing summary and where the results are.
    func finish(_ summary: RunSummary) {
        let counts = summary.counts
        if format == .json {
            logger.info("run finished", metadata: [
                "cases": "\(counts.cases)", "ok": "\(counts.ok)", "failed": "\(counts.failed)",
                "skipped": "\(counts.skipped)", "output": "\(summary.outputFolder)",
            ])
            return
        }
        clearBar()
        let results = (summary.outputFolder as NSString).appendingPathComponent("results")
        let reports = (summary.outputFolder as NSString).appendingPathComponent("reports")
        print("\(counts.cases) case\(counts.cases == 1 ? "" : "s"): \(counts.ok) ok, "
              + "\(counts.failed) failed, \(counts.skipped) skipped (unchanged); records in "
              + "\(results)/, run record \(summary.outputFolder)/run.json, reports in "
              + "\(reports)/")
    }

    /// A case's JSON log fields: case, status, the failed stage and message, the label, and
    /// whether its orbit check passed.
    static func metadata(_ record: CaseRecord) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["case": "\(record.case)",
                                         "status": "\(record.status.rawValue)"]
        if let error = record.error {
            metadata["stage"] = "\(error.stage)"
            metadata["message"] = "\(error.message)"
        }
        if let label = record.classification?.label { metadata["label"] = "\(label)" }
        if let orbit = record.orbit { metadata["orbitConsistent"] = "\(orbit.consistent)" }
        return metadata
    }

    private func report(_ record: CaseRecord) {
        if format == .json {
            if record.status == .failed {
                logger.warning("case failed", metadata: Self.metadata(record))
            } else {
                logger.info("case done", metadata: Self.metadata(record))
            }
            return
        }
        if let error = record.error {
            clearBar()
            ErrorReporter.printError(LogText.escaped("stage \(error.stage): \(error.message)"))
        } else if !isTerminal {
            print(Self.line(record))
        }
    }

    /// `CASE: ok` with what the case found.
    static func line(_ record: CaseRecord) -> String {
        var parts = ["\(LogText.escaped(record.case)): ok"]
        if let classification = record.classification {
            let p = classification.probabilities[classification.label] ?? 0
            parts.append("\(LogText.escaped(classification.label)) "
                         + "(\(String(format: "%.3f", p)))")
        }
        if let pose = record.pose {
            var text = "pose rotation \(pose.rotation) mirrored \(pose.mirrored)"
            if let angle = pose.angleDegrees { text += String(format: " angle %.1f°", angle) }
            if pose.uncertain {
                text += " uncertain (not turned)"
            } else if pose.mirrorUncertain {
                text += " mirror uncertain (not mirrored)"
            }
            parts.append(text)
        }
        if let segmentation = record.segmentation {
            let areas = segmentation.areasPx.sorted { $0.key < $1.key }
                .map { "\(LogText.escaped($0.key)) \($0.value)" }.joined(separator: ", ")
            parts.append("areas px: \(areas)")
        }
        if let orbit = record.orbit, !orbit.consistent {
            parts.append("flagged: predictions differ under the model's group (orbit check)")
        }
        return parts.joined(separator: "; ")
    }

    private func draw(_ state: inout State) {
        let now = Date()
        guard state.done == state.total || now.timeIntervalSince(state.lastDraw) >= 0.1 else {
            return
        }
        state.lastDraw = now
        let width = 30
        let fraction = state.total == 0 ? 1 : Double(state.done) / Double(state.total)
        let filled = Int(fraction * Double(width))
        let elapsed = max(now.timeIntervalSince(state.started), 1e-3)
        let rate = Double(state.done - state.skipped) / elapsed
        let remaining = state.total - state.done
        let eta = rate > 0 ? Self.duration(Double(remaining) / rate) : "--:--"
        let bar = String(repeating: "#", count: filled)
            + String(repeating: ".", count: width - filled)
        StandardStreams.writeError(
            "\r[\(bar)] \(state.done)/\(state.total) done, \(state.failed) failed, "
            + String(format: "%.1f", rate) + " cases/s, ETA \(eta)\u{1B}[K")
    }

    private func clearBar() {
        if isTerminal { StandardStreams.writeError("\r\u{1B}[K") }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
