import Foundation
import PipelineEngine
import Reports
import XCTest
import _TestSupport

/// The watcher's rules with a fake clock, scripted events and a scripted case handler over
/// real files in a temporary inbox: settling, names never taken, sentinels, HALT, retries and
/// quarantine, moves that never overwrite, new folders, one case id at a time.
final class WatcherTests: XCTestCase {
    func testFileWrittenInChunksIsTakenOnlyOnceUnchangedForTheSettleTime() throws {
        let rig = WatchRig(self)
        rig.watcher.start()
        let chunks: [[UInt8]] = (0..<4).map { [UInt8](repeating: UInt8($0 + 1), count: 1000) }
        // t = 0, 1, 2, 3: a chunk each second; the writer closes the file (an event) after
        // the first two chunks only, so the last growth is seen by the settle check itself.
        for (second, chunk) in chunks.enumerated() {
            if second > 0 { rig.clock.advance(by: 1) }
            try rig.write("scan.png", chunk, append: second > 0)
            if second < 2 { rig.events.push(.file("scan.png")) }
            try rig.turn()
            XCTAssertEqual(rig.handler.log.count, 0, "taken at t = \(second) while growing")
        }
        // Unchanged since t = 3: not yet at t = 4, taken at t = 5 with every byte.
        try rig.advance(by: 1)
        XCTAssertEqual(rig.handler.log.count, 0, "taken before 2 s without a change")
        try rig.advance(by: 1)
        XCTAssertEqual(rig.handler.log.map(\.time), [5])
        XCTAssertEqual(rig.handler.log.first?.bytes, chunks.flatMap { $0 })
        XCTAssertEqual(rig.handler.caseIDs, ["scan"])
        XCTAssertTrue(rig.watcher.isDrained)

        // Left in the inbox: rescans leave it alone until its content changes.
        try rig.advance(by: 31)
        XCTAssertEqual(rig.handler.log.count, 1)
        try rig.write("scan.png", [9, 9, 9])
        rig.events.push(.file("scan.png"))
        try rig.turn()
        try rig.advance(by: 2)
        XCTAssertEqual(rig.handler.log.map(\.bytes), [chunks.flatMap { $0 }, [9, 9, 9]])
    }

    func testHiddenPartialSentinelAndUnselectedNamesAreNeverTaken() throws {
        let rig = WatchRig(self, include: ["**/*"], exclude: ["**/*.txt"],
                           configure: { $0.settle = 0 })
        let names = ["ok.png", "sub/ok2.jpg", ".hidden.png", ".cache/x.png", "sub/.y.png",
                     "a.tmp", "b.PART", "sub/c.partial", "d.png.ready", "e.txt",
                     ".scan.png.tmp-123-abcdef", "HALT.png"]
        for name in names { try rig.write(name, [1]) }
        rig.watcher.start()
        try rig.turn()
        XCTAssertEqual(Set(rig.handler.caseIDs), ["ok", "sub/ok2", "HALT"])
        XCTAssertEqual(rig.handler.log.count, 3)

        let rules = IntakeRules(selection: InputSelection(include: ["**/*.png"], exclude: []),
                                readySentinel: false)
        let expected: [(String, Bool)] = [
            ("a.png", true), ("deep/er/a.PNG", true), ("a.jpg", false), (".a.png", false),
            ("x/.git/a.png", false), ("a.png.part", false), ("a.png.tmp", false),
            ("a.png.partial", false), ("a.png.ready", false), ("HALT", false),
            ("sub/HALT.png", true),
        ]
        for (path, accepted) in expected {
            XCTAssertEqual(rules.accepts(path), accepted, path)
        }
    }

    func testReadySentinelHoldsAFileBackUntilItAppearsAndGoesWithTheFile() throws {
        let rig = WatchRig(self, readySentinel: true, configure: {
            $0.settle = 0
            $0.after = .move
        })
        try rig.write("sub/a.png", [1, 2, 3])
        rig.watcher.start()
        rig.events.push(.file("sub/a.png"))
        try rig.advance(by: 5)
        XCTAssertEqual(rig.handler.log.count, 0, "taken without its sentinel")
        try rig.write("sub/a.png.ready", [])
        rig.events.push(.file("sub/a.png.ready"))
        try rig.turn()
        XCTAssertEqual(rig.handler.caseIDs, ["sub/a"])
        XCTAssertTrue(rig.exists(rig.out + "/processed/sub/a.png"))
        XCTAssertFalse(rig.exists(rig.inbox + "/sub/a.png"))
        XCTAssertFalse(rig.exists(rig.inbox + "/sub/a.png.ready"))
    }

    func testHALTHoldsBackNewCasesUntilItIsRemoved() throws {
        let rig = WatchRig(self, configure: { $0.settle = 0 })
        try rig.write("HALT", [])
        rig.watcher.start()
        try rig.write("a.png", [1])
        rig.events.push(.file("a.png"))
        try rig.advance(by: 100)
        XCTAssertEqual(rig.handler.log.count, 0, "a case started while HALT was there")
        try FileManager.default.removeItem(atPath: rig.inbox + "/HALT")
        rig.events.push(.removed("HALT"))
        try rig.turn()
        XCTAssertEqual(rig.handler.caseIDs, ["a"])
        XCTAssertEqual(rig.reports.filter { ["halted", "resumed"].contains($0) },
                       ["halted", "resumed"])
    }

    func testFailuresAreRetriedAfterTheDelayThenQuarantinedWithTheirSidecar() throws {
        let rig = WatchRig(self, configure: {
            $0.settle = 0
            $0.retries = 2
            $0.retryDelay = 10
        }, outcome: { source, attempt in
            source.id.hasSuffix("bad") ? ScriptedHandler.failure(source, attempts: attempt)
                : .done(CaseRecord(case: source.id, input: source.path, inputSHA256: ""))
        })
        let corrupt: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0, 0]
        try rig.write("sub/bad.png", corrupt)
        rig.watcher.start()
        try rig.turn()
        XCTAssertEqual(rig.handler.log.map(\.time), [0])
        try rig.advance(by: 5)
        try rig.write("good.png", [1])
        rig.events.push(.file("good.png"))
        try rig.turn()
        try rig.advance(by: 4.5)
        XCTAssertEqual(rig.handler.log.filter { $0.caseID == "sub/bad" }.count, 1,
                       "retried before the delay")
        try rig.advance(by: 0.5)
        try rig.advance(by: 10)
        XCTAssertEqual(rig.handler.log.filter { $0.caseID == "sub/bad" }.map(\.time),
                       [0, 10, 20])
        XCTAssertEqual(rig.handler.log.filter { $0.caseID == "good" }.map(\.time), [5])

        let quarantined = rig.out + "/quarantine/sub/bad.png"
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: quarantined))),
                       corrupt)
        XCTAssertFalse(rig.exists(rig.inbox + "/sub/bad.png"))
        let sidecar = try sidecarObject(quarantined + ".error.json")
        XCTAssertEqual(sidecar["case"] as? String, "sub/bad")
        XCTAssertEqual(sidecar["file"] as? String, rig.inbox + "/sub/bad.png")
        XCTAssertEqual(sidecar["quarantined"] as? String, quarantined)
        XCTAssertEqual(sidecar["stage"] as? String, "0 LoadImage")
        XCTAssertEqual(sidecar["reason"] as? String, rig.inbox + "/sub/bad.png: not a PNG file")
        XCTAssertEqual(sidecar["attempts"] as? Int, 3)
        XCTAssertEqual(sidecar["record"] as? String, "results/sub/bad.json")
        XCTAssertEqual(sidecar["firstFailureAt"] as? String, "2027-01-15T08:00:00Z")
        XCTAssertEqual(sidecar["lastFailureAt"] as? String, "2027-01-15T08:00:20Z")
        XCTAssertEqual(rig.reports.filter { $0.hasPrefix("failed") },
                       ["failed sub/bad 1", "failed sub/bad 2", "failed sub/bad 3 last"])

        // The same name failing again goes beside it, never over it.
        try rig.write("sub/bad.png", corrupt + [1])
        rig.events.push(.file("sub/bad.png"))
        for _ in 0..<3 { try rig.advance(by: 10) }
        XCTAssertTrue(rig.exists(rig.out + "/quarantine/sub/bad-1.png.error.json"))
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: quarantined))),
                       corrupt)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(
            fileURLWithPath: rig.out + "/quarantine/sub/bad-1.png"))), corrupt + [1])
        XCTAssertTrue(rig.watcher.isDrained)
    }

    func testMoveNeverOverwritesAndDeleteRemovesOnlyCompleteCases() throws {
        let moving = WatchRig(self, configure: {
            $0.settle = 0
            $0.after = .move
        }, outcome: { source, attempt in
            attempt == 1 ? .done(CaseRecord(case: source.id, input: source.path,
                                            inputSHA256: "")) : .skipped
        })
        try moving.write("a.png", [1])
        moving.watcher.start()
        try moving.turn()
        try moving.write("a.png", [1])
        moving.events.push(.file("a.png"))
        try moving.turn()
        XCTAssertEqual(moving.handler.log.count, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: moving.out
                                                                   + "/processed").sorted(),
                       ["a-1.png", "a.png"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: moving.inbox), [])

        let deleting = WatchRig(self, configure: {
            $0.settle = 0
            $0.after = .delete
            $0.retries = 0
        }, outcome: { source, attempt in
            source.id == "bad" ? ScriptedHandler.failure(source, attempts: attempt)
                : .done(CaseRecord(case: source.id, input: source.path, inputSHA256: ""))
        })
        try deleting.write("ok.png", [1])
        try deleting.write("bad.png", [2])
        deleting.watcher.start()
        try deleting.turn()
        XCTAssertEqual(Set(deleting.handler.caseIDs), ["ok", "bad"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: deleting.inbox), [])
        XCTAssertTrue(deleting.exists(deleting.out + "/quarantine/bad.png"))
        XCTAssertFalse(deleting.exists(deleting.out + "/processed"))
    }

    func testNewFolderIsSearchedForFilesThatLandedBeforeItsWatch() throws {
        let rig = WatchRig(self, configure: { $0.settle = 0 })
        rig.watcher.start()
        try rig.write("batch/deep/x.png", [1])
        try rig.write("batch/y.png", [2])
        rig.events.push(.folder("batch"))
        try rig.turn()
        XCTAssertEqual(Set(rig.handler.caseIDs), ["batch/deep/x", "batch/y"])
    }

    func testLostEventsAreMadeUpByTheRescan() throws {
        let rig = WatchRig(self, configure: {
            $0.settle = 0
            $0.rescanInterval = 30
        })
        rig.watcher.start()
        try rig.write("quiet.png", [1])
        try rig.advance(by: 29)
        XCTAssertEqual(rig.handler.log.count, 0)
        try rig.advance(by: 1)
        XCTAssertEqual(rig.handler.caseIDs, ["quiet"])
        try rig.write("overflow.png", [1])
        rig.events.push(.overflow)
        try rig.turn()
        XCTAssertEqual(rig.handler.caseIDs, ["quiet", "overflow"])
    }

    func testTwoFilesOfOneCaseIDRunOneAtATimeAndTheSecondIsQuarantined() throws {
        let rig = WatchRig(self, configure: {
            $0.settle = 0
            $0.jobs = 4
        })
        try rig.write("a.jpg", [1])
        try rig.write("a.png", [2])
        rig.watcher.start()
        try rig.turn()
        XCTAssertEqual(rig.handler.log.map(\.bytes), [[1]])
        let sidecar = try sidecarObject(rig.out + "/quarantine/a.png.error.json")
        XCTAssertEqual(sidecar["stage"] as? String, "input")
        XCTAssertTrue((sidecar["reason"] as? String ?? "").contains(rig.inbox + "/a.jpg"),
                      "\(sidecar)")
    }

    func testOnceEndsWhenTheInboxIsWorkedOff() throws {
        let rig = WatchRig(self, configure: {
            $0.settle = 0
            $0.once = true
            $0.jobs = 2
        })
        for index in 0..<7 { try rig.write("f\(index).png", [UInt8(index)]) }
        let counts = try rig.watcher.run()
        XCTAssertEqual(counts.ok, 7)
        XCTAssertEqual(Set(rig.handler.caseIDs), Set((0..<7).map { "f\($0)" }))
        XCTAssertEqual(rig.handler.log.count, 7)
    }

    private func sidecarObject(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
