import Foundation
import Reports
import SafeFiles
import Synchronization

/// Asks a watcher to stop from any thread (a signal handler, a test): no new case starts,
/// the cases in flight finish, then `Watcher.run` returns.
public final class WatchControl: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let waker = Mutex<FileEventWaker?>(nil)

    public init() {}

    public func stop() {
        stopped.store(true, ordering: .releasing)
        waker.withLock { $0 }?.wake()
    }

    public var isStopRequested: Bool {
        stopped.load(ordering: .acquiring)
    }

    /// Wakes `waker`'s source when a stop is asked for.
    func attach(_ waker: FileEventWaker) {
        self.waker.withLock { $0 = waker }
    }
}

/// A hot folder: takes each file dropped into the inbox once it is complete, hands it to the
/// case handler, and retries, quarantines, moves or deletes it by the outcome.
///
/// Life of a file: *settling* from the moment an event or a rescan shows it (it is taken once
/// its `FileStamp` has stayed the same for `settle` seconds), *ready*, *in flight* on a
/// worker, then *done* (left in the inbox; a rescan ignores it until it changes), moved to
/// `OUT/processed/`, deleted, or *waiting* `retryDelay` for another attempt and, when none is
/// left, moved to `OUT/quarantine/` with its error sidecar. Files are taken oldest-settled
/// first; two files of one case id never run at once; a file whose case id another file of
/// the inbox already holds (`scan.png` and `scan.jpg`) is quarantined, as `run` refuses such
/// a pair. `HALT` at the top of the inbox holds back new cases while it exists.
///
/// All state belongs to the thread that calls `run` (or `start` and `turn`); workers report
/// back through the event source's waker. Time comes from the `WatchClock` and events from the
/// `FileEventSource`, so tests drive a watcher turn by turn without sleeping.
public final class Watcher {
    public let configuration: WatchConfiguration
    public let control: WatchControl

    private enum Phase: Equatable {
        case settling(since: Double)
        case ready
        case inFlight
        case waitingRetry(until: Double)
        case done
    }

    private struct TrackedFile {
        var phase: Phase
        var stamp: FileStamp
        var changedWhileInFlight = false
        var firstFailure: Date?
    }

    private let clock: any WatchClock
    private let events: any FileEventSource
    private let workers: WatchWorkers
    private let refresh: ([String]) throws -> Void
    private let onEvent: (WatchEvent) -> Void
    private let skippedFolder: String
    /// The inbox without symlinks: symlinks are followed only to files inside it.
    private let inboxRoot: String

    private var files: [String: TrackedFile] = [:]
    /// Files not `done`: the ones timers and the drain check look at.
    private var active = Set<String>()
    private var ready = FIFOQueue<String>()
    private var inFlight = 0
    private var inFlightIDs = Set<String>()
    /// The file of the inbox each case id belongs to.
    private var ownerByID: [String: String] = [:]
    private var halted = false
    private var nextRescan = -Double.infinity
    private var counts = WatchCounts()
    private var finishedSinceRefresh: [String] = []
    private var fatal: WatchError?
    private var announcedStop = false
    private var announcedFallback = false

    /// A watcher of `configuration.inbox`. `refresh` rewrites the summaries of the output
    /// folder (its reports, `ReportWriter.refresh`) given the case ids finished since its last
    /// call; it runs whenever the queue empties. `onEvent` is called on the watcher's thread.
    public init(configuration: WatchConfiguration, handler: any WatchCaseHandler,
                events: any FileEventSource, clock: any WatchClock = SystemClock(),
                control: WatchControl = WatchControl(),
                refresh: @escaping ([String]) throws -> Void = { _ in },
                onEvent: @escaping (WatchEvent) -> Void = { _ in }) {
        self.configuration = configuration
        self.control = control
        self.clock = clock
        self.events = events
        self.refresh = refresh
        self.onEvent = onEvent
        workers = WatchWorkers(count: configuration.jobs, handler: handler,
                               waker: events.waker)
        skippedFolder = CaseDiscovery.canonical(configuration.outputFolder)
        inboxRoot = CaseDiscovery.canonical(configuration.inbox)
        control.attach(events.waker)
    }

    deinit {
        workers.close()
    }

    /// Watches until stopped, or with `once` until every file found at the start is done or
    /// quarantined (or `HALT` is present); returns how the cases ended. Throws the first
    /// `WatchError` of a case whose results could not be written, after the cases in flight
    /// have finished.
    public func run() throws -> WatchCounts {
        start()
        while true {
            if control.isStopRequested, !announcedStop {
                announcedStop = true
                onEvent(.stopping(inFlight: inFlight))
            }
            let ending = control.isStopRequested || fatal != nil
                || (configuration.once && (isDrained || halted))
            if ending && inFlight == 0 { break }
            try turn(wait: ending ? 3600 : waitTime())
        }
        refreshSummaries()
        workers.close()
        if let fatal { throw fatal }
        return counts
    }

    /// Announces the watcher and takes its first look at the inbox (the backlog).
    public func start() {
        onEvent(.started(inbox: configuration.inbox, outputFolder: configuration.outputFolder,
                         jobs: configuration.jobs, polling: events.isPolling))
        rescan(clock.uptime())
        updateHalt()
    }

    /// One turn: takes the events (waiting up to `timeout` seconds for the first), the
    /// finished cases, the rescan when due and the files whose time has come, then starts as
    /// many ready cases as there are free workers.
    public func turn(wait timeout: Double) throws {
        let newEvents = try events.wait(timeout: timeout)
        let now = clock.uptime()
        for event in newEvents { apply(event, now) }
        for completion in workers.takeCompletions() { complete(completion, now) }
        if !announcedFallback, let reason = events.fallbackReason {
            announcedFallback = true
            onEvent(.warning(reason))
        }
        if !configuration.once, now >= nextRescan { rescan(now) }
        updateHalt()
        checkTimers(now)
        if !halted, !control.isStopRequested, fatal == nil { dispatch() }
        if inFlight == 0, ready.isEmpty { refreshSummaries() }
    }

    /// Blocks until the cases in flight have finished; the next `turn` takes their outcomes.
    public func waitForWorkers() {
        workers.waitUntilIdle()
    }

    /// Whether no file is settling, ready, in flight or waiting for a retry.
    public var isDrained: Bool {
        active.isEmpty
    }

    /// Cases on a worker now.
    public var casesInFlight: Int {
        inFlight
    }

    // MARK: - Finding files

    private func apply(_ event: FileEvent, _ now: Double) {
        switch event {
        case .file(let relative):
            let rules = configuration.rules
            notice(rules.isSentinel(relative) ? IntakeRules.marked(by: relative) : relative, now)
        case .folder(let relative):
            let folder = path(relative)
            let found = (try? listFiles(folder)) ?? []
            for child in found.sorted() {
                notice(relative + "/" + child, now)
            }
        case .removed:
            break  // a removed file is forgotten when it is next looked at
        case .overflow:
            rescan(now)
        }
    }

    /// Looks at the whole inbox: new and changed files start settling; files left in the
    /// inbox as done stay done while unchanged, and are forgotten once gone.
    private func rescan(_ now: Double) {
        nextRescan = now + (events.isPolling ? configuration.pollInterval
                                              : configuration.rescanInterval)
        let found: [String]
        do {
            found = try listFiles(configuration.inbox).sorted()
        } catch {
            onEvent(.warning("\(configuration.inbox): cannot list the inbox; trying again at "
                             + "the next rescan"))
            return
        }
        for relative in found { notice(relative, now) }
        let present = Set(found)
        for (relative, file) in files where file.phase == .done && !present.contains(relative) {
            forget(relative)
        }
    }

    /// The files under `folder` (relative to it), readable or not: those that cannot be read
    /// are taken too, so that they fail with their reason instead of lying there unnoticed.
    private func listFiles(_ folder: String) throws -> [String] {
        try CaseDiscovery.walk(folder, root: inboxRoot, skipping: skippedFolder).map(\.0)
    }

    /// A file that may be new or changed.
    private func notice(_ relative: String, _ now: Double) {
        let rules = configuration.rules
        guard rules.accepts(relative) else { return }
        if rules.readySentinel,
           !InboxFiles.exists(path(IntakeRules.sentinel(of: relative))) { return }
        guard let stamp = FileStamp(path: path(relative)) else {
            if let file = files[relative], file.phase != .inFlight { forget(relative) }
            return
        }
        guard var file = files[relative] else {
            files[relative] = TrackedFile(phase: .settling(since: now), stamp: stamp)
            active.insert(relative)
            let id = CaseDiscovery.caseID(relativePath: relative)
            if let owner = ownerByID[id], owner != relative, files[owner] != nil { return }
            ownerByID[id] = relative
            return
        }
        guard stamp != file.stamp else { return }
        file.stamp = stamp
        if file.phase == .inFlight {
            file.changedWhileInFlight = true
        } else {
            file.phase = .settling(since: now)
            active.insert(relative)
        }
        files[relative] = file
    }

    private func updateHalt() {
        let present = InboxFiles.exists(path(IntakeRules.haltName))
        guard present != halted else { return }
        halted = present
        onEvent(present ? .halted : .resumed)
    }

    // MARK: - Timers and dispatch

    /// Files whose settle time or retry delay is over: ready when unchanged, settling again
    /// when changed, forgotten when gone.
    private func checkTimers(_ now: Double) {
        var due: [(time: Double, relative: String)] = []
        for relative in active {
            guard let file = files[relative] else { continue }
            switch file.phase {
            case .settling(let since) where since + configuration.settle <= now:
                due.append((since, relative))
            case .waitingRetry(let until) where until <= now:
                due.append((until, relative))
            default:
                continue
            }
        }
        for (_, relative) in due.sorted(by: { ($0.time, $0.relative) < ($1.time, $1.relative) }) {
            guard var file = files[relative] else { continue }
            guard let stamp = FileStamp(path: path(relative)) else {
                forget(relative)
                continue
            }
            if stamp == file.stamp {
                file.phase = .ready
                ready.append(relative)
            } else {
                file.stamp = stamp
                file.phase = .settling(since: now)
            }
            files[relative] = file
        }
    }

    /// The earliest time a settling or waiting file, or the rescan, needs a look.
    private func waitTime() -> Double {
        let now = clock.uptime()
        var next = configuration.once ? now + 3600 : nextRescan
        for relative in active {
            switch files[relative]?.phase {
            case .settling(let since)?: next = min(next, since + configuration.settle)
            case .waitingRetry(let until)?: next = min(next, until)
            default: continue
            }
        }
        return max(0, next - now)
    }

    /// Starts ready cases while workers are free.
    private func dispatch() {
        var deferred: [String] = []
        while inFlight < max(1, configuration.jobs), let relative = ready.popFirst() {
            guard var file = files[relative], file.phase == .ready else { continue }
            // A symlink out of the inbox, a loop or a special file fails with its reason,
            // and is set aside like any file that fails.
            let source = CaseSource(id: CaseDiscovery.caseID(relativePath: relative),
                                    path: path(relative),
                                    problem: CaseDiscovery.problem(at: path(relative),
                                                                   root: inboxRoot),
                                    root: inboxRoot)
            if inFlightIDs.contains(source.id) {
                deferred.append(relative)
                continue
            }
            if let owner = ownerByID[source.id], owner != relative,
               InboxFiles.exists(path(owner)) {
                let failure = CaseRecord.Failure(
                    stage: "input",
                    message: "\(source.path): case \"\(source.id)\" is already the file "
                        + "\(path(owner)) (results are named after the path without its "
                        + "extension); rename one")
                quarantine(relative, source,
                           WatchFailure(failure: failure, attempts: 0, inputSHA256: "",
                                        record: nil))
                continue
            }
            ownerByID[source.id] = relative
            file.phase = .inFlight
            file.changedWhileInFlight = false
            files[relative] = file
            inFlight += 1
            inFlightIDs.insert(source.id)
            ProtectedInputs.shared.protect([source.path])
            workers.submit(WatchWorkers.Task(relativePath: relative, source: source))
        }
        ready.prepend(deferred)
    }

    // MARK: - Outcomes

    private func complete(_ completion: WatchWorkers.Completion, _ now: Double) {
        let relative = completion.task.relativePath
        let source = completion.task.source
        inFlight -= 1
        inFlightIDs.remove(source.id)
        ProtectedInputs.shared.release([source.path])
        guard var file = files[relative] else { return }
        switch completion.result {
        case .failure(let error):
            fatal = fatal ?? error
            onEvent(.writeFailed(caseID: source.id, message: error.message))
            file.phase = .settling(since: now)
            files[relative] = file
        case .success(.vanished):
            forget(relative)
        case .success(.done(let record)):
            counts.ok += 1
            finishedSinceRefresh.append(source.id)
            onEvent(.finished(record))
            tidy(relative, file, now)
        case .success(.skipped):
            counts.skipped += 1
            onEvent(.skipped(caseID: source.id, file: source.path))
            tidy(relative, file, now)
        case .success(.failed(let failure)):
            counts.failedAttempts += 1
            if failure.record != nil { finishedSinceRefresh.append(source.id) }
            file.firstFailure = file.firstFailure ?? clock.date()
            files[relative] = file
            let retry = failure.attempts < configuration.maxAttempts
            onEvent(.failed(caseID: source.id, file: source.path, failure: failure,
                            maxAttempts: configuration.maxAttempts,
                            retryIn: retry ? configuration.retryDelay : nil))
            if file.changedWhileInFlight {
                settleAgain(relative, now)
            } else if retry {
                file.phase = .waitingRetry(until: now + configuration.retryDelay)
                files[relative] = file
            } else {
                quarantine(relative, source, failure)
            }
        }
    }

    /// A file whose results are complete: left, moved or deleted as configured; one that
    /// changed while it was processed is taken again instead.
    private func tidy(_ relative: String, _ file: TrackedFile, _ now: Double) {
        if file.changedWhileInFlight {
            settleAgain(relative, now)
            return
        }
        let source = path(relative)
        do {
            switch configuration.after {
            case .leave:
                files[relative]?.phase = .done
                active.remove(relative)
                return
            case .move:
                let destination = ((configuration.outputFolder as NSString)
                    .appendingPathComponent("processed") as NSString)
                    .appendingPathComponent(relative)
                let moved = try InboxFiles.move(source, to: destination)
                onEvent(.tidied(file: source, to: moved))
            case .delete:
                try InboxFiles.remove(source)
                onEvent(.tidied(file: source, to: nil))
            }
            removeSentinel(relative)
            forget(relative)
        } catch {
            keepUntilChanged(relative, error)
        }
    }

    private func quarantine(_ relative: String, _ source: CaseSource, _ failure: WatchFailure) {
        let now = clock.date()
        let first = files[relative]?.firstFailure ?? now
        do {
            let moved = try Quarantine.move(relative, inbox: configuration.inbox,
                                            outputFolder: configuration.outputFolder) { to in
                QuarantineRecord(case: source.id, file: source.path, quarantined: to,
                                 inputSHA256: failure.inputSHA256,
                                 stage: failure.failure.stage, reason: failure.failure.message,
                                 attempts: failure.attempts,
                                 firstFailureAt: RunManifest.timestamp(first),
                                 lastFailureAt: RunManifest.timestamp(now),
                                 quarantinedAt: RunManifest.timestamp(now),
                                 record: failure.record)
            }
            counts.quarantined += 1
            onEvent(.quarantined(caseID: source.id, file: source.path, to: moved.file,
                                 sidecar: moved.sidecar))
            removeSentinel(relative)
            forget(relative)
        } catch {
            keepUntilChanged(relative, error)
        }
    }

    /// A file that could not be moved out of the inbox: reported, and left alone until it
    /// changes (rather than failing again at every rescan).
    private func keepUntilChanged(_ relative: String, _ error: Error) {
        onEvent(.warning("\(error); the file stays in the inbox and is not taken again until "
                         + "it changes"))
        files[relative]?.phase = .done
        active.remove(relative)
    }

    private func settleAgain(_ relative: String, _ now: Double) {
        files[relative]?.phase = .settling(since: now)
        files[relative]?.changedWhileInFlight = false
        active.insert(relative)
    }

    private func removeSentinel(_ relative: String) {
        if configuration.rules.readySentinel {
            try? InboxFiles.remove(path(IntakeRules.sentinel(of: relative)))
        }
    }

    private func forget(_ relative: String) {
        files[relative] = nil
        active.remove(relative)
        let id = CaseDiscovery.caseID(relativePath: relative)
        if ownerByID[id] == relative { ownerByID[id] = nil }
    }

    /// Refreshes the summaries once the queue is empty after cases finished.
    private func refreshSummaries() {
        guard !finishedSinceRefresh.isEmpty else { return }
        let finished = finishedSinceRefresh
        finishedSinceRefresh = []
        do {
            try refresh(finished)
        } catch {
            onEvent(.warning("cannot refresh the summaries: \(error)"))
        }
        onEvent(.idle(counts: counts))
    }

    private func path(_ relative: String) -> String {
        (configuration.inbox as NSString).appendingPathComponent(relative)
    }
}

/// A first-in first-out queue with O(1) amortised `append` and `popFirst`.
struct FIFOQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func append(_ item: Element) {
        items.append(item)
    }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    /// Puts `front` before everything else, in its order.
    mutating func prepend(_ front: [Element]) {
        guard !front.isEmpty else { return }
        items = front + items[head...]
        head = 0
    }
}
