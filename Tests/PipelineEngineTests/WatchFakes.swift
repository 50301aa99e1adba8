import Foundation
import PipelineEngine
import Reports
import Synchronization
import XCTest

/// A clock that stands still until a test moves it: uptime in seconds from 0, dates from a
/// fixed origin.
final class FakeClock: WatchClock {
    static let origin = Date(timeIntervalSince1970: 1_800_000_000)
    private let seconds = Mutex(0.0)

    func uptime() -> Double {
        seconds.withLock { $0 }
    }

    func date() -> Date {
        FakeClock.origin.addingTimeInterval(uptime())
    }

    func advance(by delta: Double) {
        seconds.withLock { $0 += delta }
    }
}

/// Events a test hands over; `wait` never blocks.
final class FakeEvents: FileEventSource {
    let isPolling = false
    let fallbackReason: String? = nil
    let waker = FileEventWaker {}
    private var queued: [FileEvent] = []

    func push(_ events: FileEvent...) {
        queued += events
    }

    func wait(timeout: Double) throws -> [FileEvent] {
        defer { queued = [] }
        return queued
    }
}

/// A case handler that records each attempt (case, bytes read, clock time) and answers with
/// `outcome`, given the case and how many attempts it has had (this one included).
final class ScriptedHandler: WatchCaseHandler {
    struct Attempt: Equatable {
        var caseID: String
        var bytes: [UInt8]
        var time: Double
    }

    let clock: FakeClock
    let outcome: @Sendable (CaseSource, Int) -> WatchCaseResult
    private let attempts = Mutex([Attempt]())

    init(clock: FakeClock,
         outcome: @escaping @Sendable (CaseSource, Int) -> WatchCaseResult = { source, _ in
             .done(CaseRecord(case: source.id, input: source.path, inputSHA256: ""))
         }) {
        self.clock = clock
        self.outcome = outcome
    }

    var log: [Attempt] {
        attempts.withLock { $0 }
    }

    var caseIDs: [String] {
        log.map(\.caseID)
    }

    func makeWorker() -> any WatchCaseWorker {
        Worker(handler: self)
    }

    /// The result of a failed attempt at `source` (stage "0 LoadImage").
    static func failure(_ source: CaseSource, attempts: Int) -> WatchCaseResult {
        .failed(WatchFailure(failure: .init(stage: "0 LoadImage",
                                            message: "\(source.path): not a PNG file"),
                             attempts: attempts, inputSHA256: "feed",
                             record: CaseRecord.relativePath(forCase: source.id)))
    }

    private final class Worker: WatchCaseWorker {
        let handler: ScriptedHandler

        init(handler: ScriptedHandler) {
            self.handler = handler
        }

        func process(_ source: CaseSource) throws -> WatchCaseResult {
            let bytes = FileManager.default.contents(atPath: source.path).map { [UInt8]($0) }
            let count = handler.attempts.withLock { attempts in
                attempts.append(Attempt(caseID: source.id, bytes: bytes ?? [],
                                        time: handler.clock.uptime()))
                return attempts.filter { $0.caseID == source.id }.count
            }
            guard bytes != nil else { return .vanished }
            return handler.outcome(source, count)
        }
    }
}

/// Lines a watcher reported.
final class ReportLog: Sendable {
    let lines = Mutex([String]())
}

/// A watcher over a fresh inbox and output folder, driven turn by turn by a test.
final class WatchRig {
    let inbox: String
    let out: String
    let clock = FakeClock()
    let events = FakeEvents()
    let handler: ScriptedHandler
    let watcher: Watcher
    private let reported = ReportLog()

    /// `configure` adjusts the configuration (settle 2, retries 2, retry delay 10 unless
    /// changed); `include` selects the cases.
    init(_ test: XCTestCase, include: [String] = ["**/*.png", "**/*.jpg"],
         exclude: [String] = [], readySentinel: Bool = false,
         configure: (inout WatchConfiguration) -> Void = { _ in },
         outcome: (@Sendable (CaseSource, Int) -> WatchCaseResult)? = nil) {
        let folder = test.temporaryFolder()
        inbox = folder + "/in"
        out = folder + "/out"
        try? FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var configuration = WatchConfiguration(
            inbox: inbox, outputFolder: out,
            rules: IntakeRules(selection: InputSelection(include: include, exclude: exclude),
                               readySentinel: readySentinel))
        configure(&configuration)
        let clock = self.clock
        handler = outcome.map { ScriptedHandler(clock: clock, outcome: $0) }
            ?? ScriptedHandler(clock: clock)
        let reported = self.reported
        watcher = Watcher(configuration: configuration, handler: handler, events: events,
                          clock: clock, onEvent: { event in
                              reported.lines.withLock { $0.append(WatchRig.describe(event)) }
                          })
    }

    /// Turns until no case is in flight: the cases started get their outcomes, and the cases
    /// those make ready start in turn (all at the same clock time).
    func turn() throws {
        try watcher.turn(wait: 0)
        while watcher.casesInFlight > 0 {
            watcher.waitForWorkers()
            try watcher.turn(wait: 0)
        }
    }

    /// Moves the clock, then turns.
    func advance(by seconds: Double) throws {
        clock.advance(by: seconds)
        try turn()
    }

    /// Writes `bytes` to `relative` in the inbox (appending with `append`), creating folders.
    func write(_ relative: String, _ bytes: [UInt8], append: Bool = false) throws {
        let path = inbox + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        if append, let handle = FileHandle(forWritingAtPath: path) {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(bytes))
            try handle.close()
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The events so far, one line each (see `describe`).
    var reports: [String] {
        reported.lines.withLock { $0 }
    }

    static func describe(_ event: WatchEvent) -> String {
        switch event {
        case .started: return "started"
        case .finished(let record): return "finished \(record.case)"
        case .skipped(let caseID, _): return "skipped \(caseID)"
        case .failed(let caseID, _, let failure, _, let retryIn):
            return "failed \(caseID) \(failure.attempts)" + (retryIn == nil ? " last" : "")
        case .quarantined(let caseID, _, let to, _): return "quarantined \(caseID) \(to)"
        case .tidied(let file, let to): return "tidied \(file) \(to ?? "deleted")"
        case .halted: return "halted"
        case .resumed: return "resumed"
        case .idle: return "idle"
        case .warning(let message): return "warning \(message)"
        case .stopping: return "stopping"
        case .writeFailed(let caseID, _): return "writeFailed \(caseID)"
        }
    }
}
