import Foundation
import ImageCodecs
import PipelineEngine
import SafeFiles
import Synchronization
import XCTest
import _TestSupport

/// The resume ledger: what it stores comes back unchanged, and a case is reusable only when
/// its key, status and files all still match; anything else means the case is redone.
final class RunLedgerTests: XCTestCase {
    /// Whole seconds from a fixed start, one more on every call, so stored times compare
    /// exactly and a finish is always later than its start.
    final class SteppingClock: Sendable {
        private let calls = Mutex(0)

        func now() -> Date {
            let step = calls.withLock { count in
                count += 1
                return count
            }
            return Date(timeIntervalSince1970: 1_700_000_000 + Double(step))
        }
    }

    private let key = CaseKey(caseID: "ward-3/patient-17/scan",
                              inputSHA256: String(repeating: "a", count: 64),
                              pipelineHash: String(repeating: "b", count: 64),
                              modelHashes: CaseKey.combinedModelHashes(
                                  ["segmenter": "c1", "canonicalizer": "d2"]))

    /// Writes `text` to `OUT/relative` (creating folders) and returns its ledger output, with
    /// the SHA-256 of the text computed in memory.
    private func write(_ text: String, _ relative: String, in output: String) throws
        -> LedgerOutput {
        let path = output + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return LedgerOutput(path: relative, sha256: ContentHash.hex(Array(text.utf8)))
    }

    /// A finished `ok` case of `key` with a results file and two outputs, written under
    /// `output`; returns the ledger and the record and outputs it was told about.
    private func finishedCase(in output: String, clock: SteppingClock = SteppingClock()) throws
        -> (RunLedger, LedgerOutput, [LedgerOutput]) {
        let ledger = try RunLedger.open(outputFolder: output, clock: { clock.now() })
        try ledger.markStarted(key)
        let record = try write(#"{"case": "ward-3/patient-17/scan"}"#,
                               "results/ward-3/patient-17/scan.json", in: output)
        let outputs = [try write("mask bytes", "ward-3/patient-17/scan_mask.png", in: output),
                       try write("overlay", "ward-3/patient-17/scan_overlay.png", in: output)]
        try ledger.markFinished(key, status: .ok, record: record, outputs: outputs)
        return (ledger, record, outputs)
    }

    func testCombinedModelHashesSortByName() {
        XCTAssertEqual(key.modelHashes, "canonicalizer=d2,segmenter=c1")
        XCTAssertEqual(CaseKey.combinedModelHashes([:]), "")
    }

    func testRoundTripAndReuse() throws {
        let output = temporaryFolder()
        let (ledger, record, outputs) = try finishedCase(in: output)
        let expected = LedgerEntry(key: key, status: .ok, record: record, outputs: outputs,
                                   startedAt: Date(timeIntervalSince1970: 1_700_000_001),
                                   finishedAt: Date(timeIntervalSince1970: 1_700_000_002),
                                   attempts: 1)
        XCTAssertEqual(try ledger.entries(), [expected])
        XCTAssertEqual(try ledger.entry(caseID: key.caseID), expected)
        XCTAssertEqual(try ledger.reusable(key, outputFolder: output), expected)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/.equiscan/ledger.sqlite"))
        XCTAssertEqual(ledger.path, output + "/.equiscan/ledger.sqlite")

        // A later process opening the same folder sees the same entry.
        let reopened = try RunLedger.open(outputFolder: output)
        XCTAssertEqual(try reopened.entries(), [expected])
        XCTAssertEqual(try reopened.reusable(key, outputFolder: output), expected)
        XCTAssertNil(try reopened.entry(caseID: "other"))
    }

    func testKilledCaseIsNotReusable() throws {
        let output = temporaryFolder()
        let (ledger, record, outputs) = try finishedCase(in: output)
        // A rerun starts the case again and is killed before it finishes: the files of the
        // earlier run are still there, but the case is `running`.
        try ledger.markStarted(key)
        let reopened = try RunLedger.open(outputFolder: output)
        let entry = try XCTUnwrap(try reopened.entry(caseID: key.caseID))
        XCTAssertEqual(entry.status, .running)
        XCTAssertNil(entry.record)
        XCTAssertEqual(entry.outputs, [])
        XCTAssertNil(entry.finishedAt)
        XCTAssertEqual(entry.attempts, 2)
        XCTAssertNil(try reopened.reusable(key, outputFolder: output))

        // Finishing it again makes it reusable, keeping the start time of the attempt.
        try ledger.markFinished(key, status: .ok, record: record, outputs: outputs)
        let finished = try XCTUnwrap(try reopened.reusable(key, outputFolder: output))
        XCTAssertEqual(finished.startedAt, entry.startedAt)
        XCTAssertEqual(finished.attempts, 2)
    }

    func testFailedCaseIsRedone() throws {
        let output = temporaryFolder()
        let ledger = try RunLedger.open(outputFolder: output)
        try ledger.markStarted(key)
        let record = try write(#"{"status": "failed"}"#, "results/x.json", in: output)
        try ledger.markFinished(key, status: .failed, record: record, outputs: [])
        XCTAssertEqual(try ledger.entry(caseID: key.caseID)?.status, .failed)
        XCTAssertNil(try ledger.reusable(key, outputFolder: output))
        // The rerun's start counts a second attempt.
        try ledger.markStarted(key)
        XCTAssertEqual(try ledger.entry(caseID: key.caseID)?.attempts, 2)
    }

    func testChangedKeyIsNotReusable() throws {
        let output = temporaryFolder()
        let (ledger, _, _) = try finishedCase(in: output)
        var input = key
        input.inputSHA256 = String(repeating: "e", count: 64)
        var pipeline = key
        pipeline.pipelineHash = String(repeating: "f", count: 64)
        var models = key
        models.modelHashes = CaseKey.combinedModelHashes(["segmenter": "c9",
                                                          "canonicalizer": "d2"])
        for (name, changed) in [("input", input), ("pipeline", pipeline), ("models", models)] {
            XCTAssertNil(try ledger.reusable(changed, outputFolder: output), name)
        }
        XCTAssertNotNil(try ledger.reusable(key, outputFolder: output))

        // Running the changed case starts its attempts afresh.
        try ledger.markStarted(input)
        XCTAssertEqual(try ledger.entry(caseID: key.caseID)?.attempts, 1)
        XCTAssertEqual(try ledger.entry(caseID: key.caseID)?.key, input)
    }

    func testChangedOrMissingFilesAreNotReusable() throws {
        let output = temporaryFolder()
        let (ledger, record, outputs) = try finishedCase(in: output)
        let mask = output + "/" + outputs[0].path
        let recordPath = output + "/" + record.path

        // Same length, one byte different.
        try Data("mask bytez".utf8).write(to: URL(fileURLWithPath: mask))
        XCTAssertNil(try ledger.reusable(key, outputFolder: output))
        try Data("mask bytes".utf8).write(to: URL(fileURLWithPath: mask))
        XCTAssertNotNil(try ledger.reusable(key, outputFolder: output))

        try FileManager.default.removeItem(atPath: mask)
        XCTAssertNil(try ledger.reusable(key, outputFolder: output))
        _ = try write("mask bytes", outputs[0].path, in: output)
        XCTAssertNotNil(try ledger.reusable(key, outputFolder: output))

        try Data("{}".utf8).write(to: URL(fileURLWithPath: recordPath))
        XCTAssertNil(try ledger.reusable(key, outputFolder: output))
        try FileManager.default.removeItem(atPath: recordPath)
        XCTAssertNil(try ledger.reusable(key, outputFolder: output))

        // Files checked in another folder (a copy that lacks them) are not there.
        XCTAssertNil(try ledger.reusable(key, outputFolder: temporaryFolder()))
    }

    func testGarbageLedgerGivesClearError() throws {
        let output = temporaryFolder()
        try FileManager.default.createDirectory(atPath: output + "/.equiscan",
                                                withIntermediateDirectories: true)
        let path = output + "/.equiscan/ledger.sqlite"
        let garbage = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(garbage).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try RunLedger.open(outputFolder: output)) { error in
            guard let error = error as? LedgerError else {
                return XCTFail("expected a LedgerError, got \(type(of: error))")
            }
            XCTAssertEqual(error.kind, .unreadable)
            XCTAssertEqual(error.description,
                           "\(path): is not a usable resume ledger (SQLite: file is not a "
                           + "database); delete the folder \(output)/.equiscan to start over "
                           + "(every case will then be redone)")
        }
    }

    func testUncreatableFolderGivesFileError() throws {
        let output = temporaryFolder() + "/taken"
        try Data("a file".utf8).write(to: URL(fileURLWithPath: output))
        XCTAssertThrowsError(try RunLedger.open(outputFolder: output)) { error in
            XCTAssertEqual(error as? SafeFileError,
                           SafeFileError(.io, path: output + "/.equiscan",
                                         "cannot create the ledger folder"))
        }
    }

    func testInsertReplacesAndForgetAllClears() throws {
        let output = temporaryFolder()
        let ledger = try RunLedger.open(outputFolder: output)
        let merged = LedgerEntry(
            key: key, status: .ok, record: LedgerOutput(path: "results/r.json", sha256: "01"),
            outputs: [LedgerOutput(path: "z.png", sha256: "02"),
                      LedgerOutput(path: "a.png", sha256: "03")],
            startedAt: Date(timeIntervalSince1970: 1_600_000_000),
            finishedAt: Date(timeIntervalSince1970: 1_600_000_060), attempts: 3)
        try ledger.markStarted(key)
        try ledger.insert(merged)
        var other = merged
        other.key.caseID = "another/case"
        other.status = .failed
        other.outputs = []
        try ledger.insert(other)
        // Ordered by case id; outputs keep the order given, not sorted by path.
        XCTAssertEqual(try ledger.entries(), [other, merged])
        try ledger.forgetAll()
        XCTAssertEqual(try ledger.entries(), [])
        XCTAssertNil(try ledger.reusable(key, outputFolder: output))
    }

    /// 8 threads finish 25 cases each on one ledger; all 200 land with their own outputs.
    func testConcurrentMarkFinished() throws {
        let output = temporaryFolder()
        let ledger = try RunLedger.open(outputFolder: output)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for number in 0..<25 {
                let id = "thread-\(thread)/case-\(number)"
                let caseKey = CaseKey(caseID: id, inputSHA256: "in-\(id)", pipelineHash: "p",
                                      modelHashes: "")
                do {
                    try ledger.markStarted(caseKey)
                    try ledger.markFinished(
                        caseKey, status: number % 5 == 0 ? .failed : .ok,
                        record: LedgerOutput(path: "results/\(id).json", sha256: "r-\(id)"),
                        outputs: [LedgerOutput(path: "\(id)_mask.png", sha256: "m-\(id)")])
                } catch {
                    failures.withLock { $0.append("\(id): \(error)") }
                }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        let entries = try ledger.entries()
        XCTAssertEqual(entries.count, 200)
        for thread in 0..<8 {
            for number in 0..<25 {
                let id = "thread-\(thread)/case-\(number)"
                guard let entry = entries.first(where: { $0.key.caseID == id }) else {
                    XCTFail("\(id) missing")
                    continue
                }
                XCTAssertEqual(entry.key.inputSHA256, "in-\(id)")
                XCTAssertEqual(entry.status, number % 5 == 0 ? .failed : .ok)
                XCTAssertEqual(entry.record?.sha256, "r-\(id)")
                XCTAssertEqual(entry.outputs, [LedgerOutput(path: "\(id)_mask.png",
                                                            sha256: "m-\(id)")])
                XCTAssertEqual(entry.attempts, 1)
            }
        }
    }
}
