#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ImageCodecs
import PipelineEngine
import XCTest
import _TestSupport

/// `equiscan watch` and `equiscan status` end to end: the real binary on real folders, with
/// `--once` and with live watchers that files are dropped on, killed and signalled.
final class WatchCommandTests: XCTestCase {
    static var root: String { CLIRunner.packageRoot.path }
    static var pipeline: String { root + "/pipelines/classify-cells.json" }
    static let cells = ["RBC/BloodImage_00000_03", "WBC/BloodImage_00000_00",
                        "Platelets/BloodImage_00014_14"].map { root + "/samples/cells/\($0).png" }

    /// A watcher running in the background, its output going to files.
    final class LiveWatcher {
        let process = Process()
        let stdout: String
        let stderr: String

        init(_ arguments: [String], logs folder: String) throws {
            stdout = folder + "/watch-\(UUID().uuidString).out"
            stderr = stdout + ".err"
            _ = FileManager.default.createFile(atPath: stdout, contents: nil)
            _ = FileManager.default.createFile(atPath: stderr, contents: nil)
            process.executableURL = CLIRunner.productsDirectory.appendingPathComponent("equiscan")
            process.arguments = ["watch"] + arguments
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
            try process.run()
        }

        var output: String { (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "" }
        var errors: String { (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "" }

        /// Sends `signalNumber` and returns the exit status.
        func stop(_ signalNumber: Int32 = SIGTERM) -> Int32 {
            kill(process.processIdentifier, signalNumber)
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { _ = stop(SIGKILL) }
        }
    }

    /// A temporary folder holding an empty inbox `in/`; the output folder is `out/`.
    struct Folders {
        let root: String
        var inbox: String { root + "/in" }
        var out: String { root + "/out" }
    }

    func folders() throws -> Folders {
        let folders = Folders(root: temporaryFolder())
        try FileManager.default.createDirectory(atPath: folders.inbox,
                                                withIntermediateDirectories: true)
        return folders
    }

    /// The classify-cells pipeline on `folders` with `options`: the arguments of `watch`.
    func watchArguments(_ folders: Folders, _ options: [String]) -> [String] {
        ["-p", Self.pipeline, "-i", folders.inbox, "-o", folders.out] + options
    }

    /// `equiscan watch` running on `folders`, once it says it is watching.
    func startWatcher(_ folders: Folders, _ options: [String]) throws -> LiveWatcher {
        let watcher = try LiveWatcher(watchArguments(folders, options), logs: folders.root)
        waitUntil("the watcher to start", watcher) { watcher.output.contains("watching") }
        return watcher
    }

    /// Waits until `condition` holds or the watcher ends, failing after 120 s.
    func waitUntil(_ what: String, _ watcher: LiveWatcher? = nil, file: StaticString = #filePath,
                   line: UInt = #line, _ condition: () throws -> Bool) rethrows {
        let deadline = Date().addingTimeInterval(120)
        while try !condition() {
            guard Date() < deadline, watcher?.process.isRunning ?? true else {
                XCTFail("gave up waiting for \(what); stderr: \(watcher?.errors ?? "")",
                        file: file, line: line)
                return
            }
            usleep(2_000)
        }
    }

    /// Hard links of the sample cells: `count` files `prefix000.png`… in `folder`.
    func linkCells(_ count: Int, prefix: String = "cell", into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for index in 0..<count {
            let target = folder + String(format: "/%@%03d.png", prefix, index)
            XCTAssertEqual(link(Self.cells[index % Self.cells.count], target), 0, target)
        }
    }

    /// `count` cells linked in `staging`, then renamed into `inbox` one after the other: a
    /// burst of complete files.
    func dropCells(_ count: Int, into inbox: String, via staging: String) throws {
        try linkCells(count, into: staging)
        for index in 0..<count {
            let name = String(format: "/cell%03d.png", index)
            XCTAssertEqual(rename(staging + name, inbox + name), 0)
        }
    }

    func results(_ out: String) -> [String] {
        let files = (try? CaseDiscovery.walk(out + "/results", skipping: nil)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted()
    }

    func status(_ out: String) throws -> [String: Any] {
        let result = try CLIRunner.run(["status", out, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
            as? [String: Any])
    }

    func testOnceProcesses500DroppedFilesEachOnceThenSkipsThemAndRedoesAReplacedOne() throws {
        let folders = try folders()
        let (inbox, out) = (folders.inbox, folders.out)
        try linkCells(500, into: inbox)
        let watch = ["watch"] + watchArguments(folders, ["--once", "--settle", "0", "--jobs", "2"])

        XCTAssertTrue(FileManager.default.createFile(atPath: inbox + "/HALT", contents: nil))
        let halted = try CLIRunner.run(watch)
        XCTAssertEqual(halted.status, 0, halted.stderr)
        XCTAssertTrue(halted.stdout.contains("HALT"), halted.stdout)
        XCTAssertEqual(results(out), [])
        try FileManager.default.removeItem(atPath: inbox + "/HALT")

        let first = try CLIRunner.run(watch)
        XCTAssertEqual(first.status, 0, first.stderr)
        let entries = try RunLedger.open(outputFolder: out).entries()
        XCTAssertEqual(entries.count, 500)
        XCTAssertTrue(entries.allSatisfy { $0.status == .ok && $0.attempts == 1 })
        XCTAssertEqual(results(out), (0..<500).map { String(format: "cell%03d.json", $0) })
        XCTAssertEqual(first.stdout.components(separatedBy: ": ok").count - 1, 500)
        let label = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(
            fileURLWithPath: out + "/results/cell001.json"))) as? [String: Any])
        XCTAssertEqual((label["classification"] as? [String: Any])?["label"] as? String, "WBC")
        // The reports are refreshed as cases finish.
        let csv = try String(contentsOfFile: out + "/reports/predictions.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\r\n").count, 501)

        // Dropped again with the same content: nothing is redone.
        let again = try CLIRunner.run(watch)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout.components(separatedBy: "skipped (complete").count - 1, 500)
        XCTAssertTrue(try RunLedger.open(outputFolder: out).entries().allSatisfy {
            $0.attempts == 1
        })

        // Replaced with new content: that case alone is redone.
        let replaced = inbox + "/cell007.png"
        try FileManager.default.removeItem(atPath: replaced)
        try FileManager.default.copyItem(
            atPath: Self.root + "/samples/cells/RBC/BloodImage_00030_15.png", toPath: replaced)
        let third = try CLIRunner.run(watch)
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(third.stdout.components(separatedBy: ": ok").count - 1, 1, third.stdout)
        XCTAssertTrue(third.stdout.contains("cell007: ok"), third.stdout)
        let redone = try XCTUnwrap(try RunLedger.open(outputFolder: out)
            .entry(caseID: "cell007"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: replaced))
        XCTAssertEqual(redone.key.inputSHA256, ContentHash.hex([UInt8](bytes)))

        let counts = try XCTUnwrap(try status(out)["counts"] as? [String: Int])
        XCTAssertEqual(counts, ["done": 500, "failed": 0, "pending": 0, "inProgress": 0,
                                "quarantined": 0])
    }

    func testKilledWatcherRestartedLosesNothingDoesNothingTwiceAndLeavesNoPartialFile() throws {
        let folders = try folders()
        let (inbox, out) = (folders.inbox, folders.out)
        let options = ["--settle", "0", "--jobs", "2", "--after", "move"]
        let watcher = try startWatcher(folders, options)
        let total = 300
        try dropCells(total, into: inbox, via: folders.root + "/staging")
        waitUntil("10 results", watcher) { results(out).count >= 10 }
        XCTAssertEqual(watcher.stop(SIGKILL), SIGKILL)
        XCTAssertEqual(watcher.process.terminationReason, .uncaughtSignal)
        let atKill = try RunLedger.open(outputFolder: out).entries()
        let okAtKill = atKill.filter { $0.status == .ok }.map(\.key.caseID)
        XCTAssertLessThan(okAtKill.count, total, "the burst ended before the kill")
        func modified(_ id: String) throws -> Date? {
            let attributes = try FileManager.default.attributesOfItem(
                atPath: out + "/results/\(id).json")
            return attributes[FileAttributeKey.modificationDate] as? Date
        }
        let stamps = Dictionary(uniqueKeysWithValues: try okAtKill.map { id in
            (id, try modified(id))
        })

        let restart = try CLIRunner.run(["watch", "--once"] + watchArguments(folders, options))
        XCTAssertEqual(restart.status, 0, restart.stderr)
        let entries = try RunLedger.open(outputFolder: out).entries()
        XCTAssertEqual(entries.count, total)
        XCTAssertTrue(entries.allSatisfy { $0.status == .ok }, "\(entries.map(\.status))")
        // At most the cases on the two workers at the kill were started twice.
        XCTAssertLessThanOrEqual(entries.filter { $0.attempts > 1 }.count, 2)
        for (id, stamp) in stamps {
            XCTAssertEqual(try modified(id), stamp, "\(id) was done twice")
        }
        // Every input moved once, under its own name; every visible result complete.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out + "/processed")
                        .sorted(), (0..<total).map { String(format: "cell%03d.png", $0) })
        XCTAssertEqual(results(out).count, total)
        for file in results(out) {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results/" + file))
            let record = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            XCTAssertEqual(record?["status"] as? String, "ok", file)
        }
    }

    func testCorruptScanIsQuarantinedAfterItsRetriesWhileTheWatcherGoesOn() throws {
        let folders = try folders()
        let (inbox, out) = (folders.inbox, folders.out)
        try FileManager.default.createDirectory(atPath: inbox + "/ward",
                                                withIntermediateDirectories: true)
        let watcher = try startWatcher(folders, ["--settle", "0.1", "--retries", "1",
                                                 "--retry-delay", "0.2", "--jobs", "1"])
        var corrupt = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        corrupt.append(Data(repeating: 0x41, count: 64))
        // Written under a partial name, then renamed: the usual way of a careful sender.
        XCTAssertTrue(FileManager.default.createFile(atPath: inbox + "/ward/scan.png.part",
                                                     contents: corrupt))
        XCTAssertEqual(rename(inbox + "/ward/scan.png.part", inbox + "/ward/scan.png"), 0)
        try linkCells(3, into: inbox + "/ward")
        let sidecarPath = out + "/quarantine/ward/scan.png.error.json"
        waitUntil("the quarantine", watcher) {
            FileManager.default.fileExists(atPath: sidecarPath)
        }
        try linkCells(1, prefix: "late", into: inbox)
        waitUntil("the cases after it", watcher) { results(out).count == 5 }
        XCTAssertTrue(watcher.process.isRunning)
        XCTAssertEqual(watcher.stop(SIGTERM), 0, watcher.errors)

        let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: sidecarPath))) as? [String: Any])
        XCTAssertEqual(sidecar["case"] as? String, "ward/scan")
        XCTAssertEqual(sidecar["stage"] as? String, "0 LoadImage")
        XCTAssertEqual(sidecar["attempts"] as? Int, 2)
        XCTAssertEqual(sidecar["record"] as? String, "results/ward/scan.json")
        XCTAssertTrue((sidecar["reason"] as? String ?? "").hasPrefix(inbox + "/ward/scan.png: "),
                      "\(sidecar)")
        for key in ["firstFailureAt", "lastFailureAt", "quarantinedAt"] {
            XCTAssertNotNil(try? Date.ISO8601FormatStyle().parse(sidecar[key] as? String ?? ""),
                            key)
        }
        let setAside = out + "/quarantine/ward/scan.png"
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: setAside)), corrupt)
        XCTAssertFalse(FileManager.default.fileExists(atPath: inbox + "/ward/scan.png"))
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(
            fileURLWithPath: out + "/results/ward/scan.json"))) as? [String: Any])
        XCTAssertEqual(record["status"] as? String, "failed")
        XCTAssertEqual(watcher.errors.components(separatedBy: "ward/scan: attempt").count - 1, 2,
                       watcher.errors)

        let counts = try XCTUnwrap(try status(out)["counts"] as? [String: Int])
        XCTAssertEqual(counts, ["done": 4, "failed": 0, "pending": 0, "inProgress": 0,
                                "quarantined": 1])
    }

    func testNewSubfoldersAndFilesMovedInArePickedUp() throws {
        let folders = try folders()
        let (inbox, out, folder) = (folders.inbox, folders.out, folders.root)
        let watcher = try startWatcher(folders, ["--settle", "0.1", "--jobs", "2",
                                                 "--log-format", "json"])
        // A new tree, a file written into it at once, a file and a whole folder moved in.
        try FileManager.default.createDirectory(atPath: inbox + "/a/b",
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.cells[0], toPath: inbox + "/a/b/c.png")
        try linkCells(1, prefix: "moved", into: folder + "/outside")
        XCTAssertEqual(rename(folder + "/outside/moved000.png", inbox + "/moved.png"), 0)
        try linkCells(2, prefix: "x", into: folder + "/batch")
        XCTAssertEqual(rename(folder + "/batch", inbox + "/batch"), 0)
        let expected = ["a/b/c.json", "batch/x000.json", "batch/x001.json", "moved.json"]
        waitUntil("the four results", watcher) { results(out) == expected }
        XCTAssertEqual(watcher.stop(SIGINT), 0, watcher.errors)
        let lines = watcher.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(Set(lines.filter { $0["message"] as? String == "case done" }
                            .compactMap { $0["case"] as? String }),
                       ["a/b/c", "batch/x000", "batch/x001", "moved"])
        XCTAssertTrue(lines.contains { $0["message"] as? String == "watch finished" })
    }

    func testSecondWatcherOnTheSameOutputExits75AndSIGTERMFinishesTheCasesInFlight() throws {
        let folders = try folders()
        let (inbox, out) = (folders.inbox, folders.out)
        let first = try startWatcher(folders, ["--settle", "0", "--jobs", "2"])

        let second = try CLIRunner.run(["watch", "--once"] + watchArguments(folders, []))
        XCTAssertEqual(second.status, 75, second.stderr)
        let host = ProcessInfo.processInfo.hostName
        XCTAssertTrue(second.stderr.contains("pid \(first.process.processIdentifier) on host "
                                             + host), second.stderr)
        let watching = try status(out)
        XCTAssertEqual((watching["watcher"] as? [String: Any])?["pid"] as? Int,
                       Int(first.process.processIdentifier))
        // Nor may `run` write into the watcher's folder.
        let run = try CLIRunner.run(["run", "-p", Self.pipeline, "-i", folders.root + "/none",
                                     "-o", out])
        XCTAssertEqual(run.status, 75, run.stderr)
        XCTAssertTrue(run.stderr.contains("\(out): a watcher (pid "
                                          + "\(first.process.processIdentifier) on host \(host)) "
                                          + "is writing into this folder"), run.stderr)

        try dropCells(60, into: inbox, via: folders.root + "/staging")
        waitUntil("a first result", first) { !results(out).isEmpty }
        XCTAssertEqual(first.stop(SIGTERM), 0, first.errors)
        // Every case started was finished: none is left running, and each has its record.
        let entries = try RunLedger.open(outputFolder: out).entries()
        XCTAssertFalse(entries.isEmpty)
        XCTAssertTrue(entries.allSatisfy { $0.status == .ok }, "\(entries.map(\.status))")
        XCTAssertEqual(results(out).count, entries.count)
        XCTAssertTrue(first.output.contains("stopping"), first.output)
        XCTAssertTrue(try status(out)["watcher"] is NSNull)
    }
}
