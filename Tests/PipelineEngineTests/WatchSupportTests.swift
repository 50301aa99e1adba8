#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ImageCodecs
import PipelineEngine
import XCTest
import _TestSupport

/// What the watcher stands on: inotify events from a real folder, the one-watcher lock, and the
/// status counts read back from a ledger, a quarantine folder and an inbox.
final class WatchSupportTests: XCTestCase {
    #if os(Linux)
    /// Waits (up to 20 one-second waits) until `source` has reported `expected`; returns
    /// everything it reported.
    private func events(_ source: InotifyEventSource, until expected: FileEvent) throws
        -> [FileEvent] {
        var seen: [FileEvent] = []
        for _ in 0..<20 where !seen.contains(expected) {
            seen += try source.wait(timeout: 1)
        }
        XCTAssertTrue(seen.contains(expected), "no \(expected) in \(seen)")
        return seen
    }

    func testInotifyReportsClosedAndMovedInFilesAndWatchesNewFolders() throws {
        let folder = temporaryFolder()
        let inbox = folder + "/in"
        let out = inbox + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let source = try InotifyEventSource(inbox: inbox, skipping: out)
        XCTAssertFalse(source.isPolling)

        XCTAssertTrue(FileManager.default.createFile(atPath: inbox + "/a.png", contents: Data([1])))
        _ = try events(source, until: .file("a.png"))

        try FileManager.default.createDirectory(atPath: inbox + "/new/deeper",
                                                withIntermediateDirectories: true)
        _ = try events(source, until: .folder("new"))
        XCTAssertTrue(FileManager.default.createFile(atPath: inbox + "/new/deeper/b.png",
                                                     contents: Data([2])))
        _ = try events(source, until: .file("new/deeper/b.png"))

        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/outside.png",
                                                     contents: Data([3])))
        XCTAssertEqual(rename(folder + "/outside.png", inbox + "/new/moved.png"), 0)
        _ = try events(source, until: .file("new/moved.png"))
        // A hard link gets IN_CREATE only: complete from the start, so it counts.
        XCTAssertEqual(link(inbox + "/new/moved.png", inbox + "/linked.png"), 0)
        _ = try events(source, until: .file("linked.png"))

        try FileManager.default.removeItem(atPath: inbox + "/a.png")
        _ = try events(source, until: .removed("a.png"))

        // The output folder inside the inbox is not watched.
        XCTAssertTrue(FileManager.default.createFile(atPath: out + "/result.json",
                                                     contents: Data([4])))
        XCTAssertTrue(FileManager.default.createFile(atPath: inbox + "/last.png",
                                                     contents: Data([5])))
        let late = try events(source, until: .file("last.png"))
        XCTAssertFalse(late.contains(.file("out/result.json")), "\(late)")

        // A wake-up ends a wait at once, with no events.
        source.waker.wake()
        XCTAssertEqual(try source.wait(timeout: 3600), [])
    }
    #endif

    func testSecondLockOnAnOutputFolderIsRefusedNamingTheHolder() throws {
        let out = temporaryFolder()
        let holder = WatchLock.Holder(pid: getpid(), host: "scan-host-7", inbox: "/data/in",
                                      startedAt: "2027-01-15T08:00:00Z", include: ["**/*.png"],
                                      exclude: [], readySentinel: false)
        XCTAssertNil(WatchLock.holder(outputFolder: out).holder)
        var lock: WatchLock? = try WatchLock.acquire(outputFolder: out, holder: holder)
        XCTAssertNotNil(lock)
        XCTAssertThrowsError(try WatchLock.acquire(outputFolder: out, holder: holder)) { error in
            let watchError = error as? WatchError
            XCTAssertEqual(watchError?.kind, .busy)
            XCTAssertTrue(watchError?.message.contains("pid \(getpid()) on host scan-host-7")
                          ?? false, "\(error)")
        }
        XCTAssertEqual(WatchLock.holder(outputFolder: out).holder, holder)
        XCTAssertTrue(WatchLock.holder(outputFolder: out).live)
        lock = nil
        XCTAssertFalse(WatchLock.holder(outputFolder: out).live)
        XCTAssertNoThrow(try WatchLock.acquire(outputFolder: out, holder: holder))
    }

    func testStatusCountsEachCaseOnceByState() throws {
        let folder = temporaryFolder()
        let inbox = folder + "/in"
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        XCTAssertThrowsError(try WatchStatus.read(outputFolder: out)) { error in
            XCTAssertEqual((error as? WatchError)?.kind, .noInput)
        }
        func drop(_ name: String, _ bytes: [UInt8]) -> String {
            XCTAssertTrue(FileManager.default.createFile(atPath: inbox + "/" + name,
                                                         contents: Data(bytes)))
            return ContentHash.hex(bytes)
        }
        // Entries finished in 2001, so every file of the inbox is newer and gets hashed.
        let ledger = try RunLedger.open(outputFolder: out,
                                        clock: { Date(timeIntervalSince1970: 1_000_000_000) })
        func key(_ id: String, _ sha: String) -> CaseKey {
            CaseKey(caseID: id, inputSHA256: sha, pipelineHash: "p", modelHashes: "m")
        }
        let record = LedgerOutput(path: "results/x.json", sha256: "0")
        // done, unchanged in the inbox; done, changed since (pending); done, gone.
        try ledger.markFinished(key("same", drop("same.png", [1])), status: .ok, record: record,
                                outputs: [])
        try ledger.markFinished(key("changed", ContentHash.hex([2])), status: .ok,
                                record: record, outputs: [])
        _ = drop("changed.png", [2, 2])
        try ledger.markFinished(key("gone", "g"), status: .ok, record: record, outputs: [])
        // failed, waiting for a retry; failed and quarantined; in progress.
        try ledger.markFinished(key("retry", drop("retry.png", [3])), status: .failed,
                                record: record, outputs: [])
        try ledger.markFinished(key("bad", "b"), status: .failed, record: record, outputs: [])
        try ledger.markStarted(key("busy", drop("busy.png", [4])))
        // Two new files, one of them not selected, and one still being written.
        _ = drop("new.png", [5])
        _ = drop("notes.txt", [6])
        _ = drop("half.png.part", [7])
        try FileManager.default.createDirectory(atPath: out + "/quarantine/sub",
                                                withIntermediateDirectories: true)
        let sidecar = """
            {"case": "bad", "file": "\(inbox)/bad.png", "quarantined": "q", "inputSHA256": "b",
             "stage": "0 LoadImage", "reason": "r", "attempts": 3,
             "firstFailureAt": "t", "lastFailureAt": "t", "quarantinedAt": "t", "record": null}
            """
        try sidecar.write(toFile: out + "/quarantine/sub/bad.png.error.json", atomically: true,
                          encoding: .utf8)

        // No watcher ever: pending files cannot be counted without an inbox.
        var status = try WatchStatus.read(outputFolder: out)
        XCTAssertNil(status.watcher)
        var expected = WatchStatus.Counts()
        expected.done = 3
        expected.failed = 1
        expected.inProgress = 1
        expected.quarantined = 1
        XCTAssertEqual(status.counts, expected)

        let holder = WatchLock.Holder(pid: getpid(), host: "h", inbox: inbox, startedAt: "t",
                                      include: ["**/*.png"], exclude: [], readySentinel: false)
        let lock = try WatchLock.acquire(outputFolder: out, holder: holder)
        status = try WatchStatus.read(outputFolder: out)
        expected.pending = 2  // changed.png, new.png
        XCTAssertEqual(status.counts, expected)
        XCTAssertEqual(status.watcher, holder)
        withExtendedLifetime(lock) {}
    }
}
