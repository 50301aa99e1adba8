#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ImageCodecs
import PipelineEngine
import XCTest
import _TestSupport

/// Resume through the ledger: a run killed with SIGKILL and rerun does every case exactly
/// once and never trusts a partial file; changed inputs, pipelines and models redo exactly
/// the cases they affect.
final class RunResumeTests: XCTestCase {
    static var root: String { CLIRunner.packageRoot.path }

    /// `count` cases in `folder`, hard links to the sample blood cells (distinct names, so
    /// distinct cases).
    func cellCases(_ count: Int, in folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let sources = ["RBC/BloodImage_00000_03", "WBC/BloodImage_00000_00",
                       "Platelets/BloodImage_00014_14"]
            .map { Self.root + "/samples/cells/\($0).png" }
        var ids: [String] = []
        for index in 0..<count {
            let id = String(format: "case%03d", index)
            XCTAssertEqual(link(sources[index % sources.count], folder + "/\(id).png"), 0)
            ids.append(id)
        }
        return ids
    }

    func manifestCounts(_ out: String) throws -> [String: Int] {
        let object = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as? [String: Any]
        return try XCTUnwrap(object?["counts"] as? [String: Int])
    }

    /// Modification time and inode of a record, to tell a kept file from a rewritten one.
    func stamp(_ path: String) -> [Int] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [Int(info.st_ino), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    }

    func writePipeline(_ folder: String, model: String) throws -> String {
        let path = folder + "/classify.json"
        let text = """
            {"version": 1, "name": "resume-test",
             "stages": [{"op": "LoadImage", "colour": "rgb"},
                        {"op": "Classify", "model": "\(model)"}]}
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `total` cases in `folder/in`, hard links to the sample EM slices (slow enough per case
    /// through the membrane segmenter to stop a run mid-batch).
    func emCases(_ total: Int, in folder: String) throws -> String {
        let input = folder + "/in"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        for index in 0..<total {
            let source = Self.root + "/samples/em/\(index % 2 == 0 ? "00" : "04").png"
            XCTAssertEqual(link(source, input + String(format: "/s%02d.png", index)), 0)
        }
        return input
    }

    /// Starts `equiscan run` of the EM pipeline and returns once `records` case records exist
    /// (or the run ended, or two minutes passed).
    func startRun(input: String, out: String, jobs: Int, until records: Int) throws -> Process {
        let process = Process()
        process.executableURL = CLIRunner.productsDirectory.appendingPathComponent("equiscan")
        process.arguments = ["run", "-p", Self.root + "/pipelines/segment-em.json", "-i", input,
                             "-o", out, "--jobs", String(jobs)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        func recordCount() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: out + "/results")) ?? [])
                .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.count
        }
        while recordCount() < records && Date() < deadline && process.isRunning {
            usleep(5_000)
        }
        return process
    }

    func testKilledRunIsFinishedByARerunWithEveryCaseOnceAndNoPartialFile() throws {
        let folder = temporaryFolder()
        let total = 20
        let input = try emCases(total, in: folder)
        let out = folder + "/out"
        let pipeline = Self.root + "/pipelines/segment-em.json"
        let results = out + "/results"
        let process = try startRun(input: input, out: out, jobs: 1, until: 4)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run ended before the kill")
        let okAtKill = try RunLedger.open(outputFolder: out).entries()
            .filter { $0.status == .ok }.map(\.key.caseID)
        XCTAssertGreaterThanOrEqual(okAtKill.count, 3)
        XCTAssertLessThan(okAtKill.count, total)
        let kept = Dictionary(uniqueKeysWithValues: okAtKill.map { id in
            (id, stamp(results + "/\(id).json"))
        })

        let rerun = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try manifestCounts(out),
                       ["cases": total, "ok": total - okAtKill.count, "failed": 0,
                        "skipped": okAtKill.count])
        for (id, before) in kept {
            XCTAssertEqual(stamp(results + "/\(id).json"), before, "\(id) was recomputed")
        }
        // Every case once, every visible file complete: records parse, images decode.
        let entries = try RunLedger.open(outputFolder: out).entries()
        XCTAssertEqual(entries.count, total)
        XCTAssertTrue(entries.allSatisfy { $0.status == .ok })
        let files = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String]) ?? []
        var images = 0
        for file in files where !(file as NSString).lastPathComponent.hasPrefix(".")
            && !file.hasPrefix(".equiscan") {
            let path = out + "/" + file
            if file.hasSuffix(".json") {
                XCTAssertNoThrow(try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: path))), file)
            } else if file.hasSuffix(".png") || file.hasSuffix(".tif") {
                XCTAssertNoThrow(try ImageDecoder.decode(path: path), file)
                images += 1
            }
        }
        XCTAssertEqual(images, total * 3)  // mask, probabilities, overlay
    }

    func testChangedInputPipelineOrModelRedoesExactlyTheAffectedCases() throws {
        let folder = temporaryFolder()
        let input = folder + "/in"
        let ids = try cellCases(6, in: input)
        let out = folder + "/out"
        // A private copy of the classifier, to change its weights later.
        let model = folder + "/bccd-cells"
        try FileManager.default.copyItem(atPath: Self.root + "/samples/models/bccd-cells",
                                         toPath: model)
        let pipeline = try writePipeline(folder, model: model)
        func run(_ extra: [String] = []) throws -> [String: Int] {
            let result = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out]
                                           + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try manifestCounts(out)
        }
        XCTAssertEqual(try run()["ok"], 6)
        XCTAssertEqual(try run(), ["cases": 6, "ok": 0, "failed": 0, "skipped": 6])

        // A changed input (new bytes under the same name) redoes that case only.
        let changed = input + "/\(ids[1]).png"
        try FileManager.default.removeItem(atPath: changed)
        try FileManager.default.copyItem(
            atPath: Self.root + "/samples/cells/RBC/BloodImage_00030_15.png", toPath: changed)
        XCTAssertEqual(try run(), ["cases": 6, "ok": 1, "failed": 0, "skipped": 5])

        // A deleted record is not trusted: that case is redone.
        try FileManager.default.removeItem(atPath: out + "/results/\(ids[2]).json")
        XCTAssertEqual(try run(), ["cases": 6, "ok": 1, "failed": 0, "skipped": 5])

        // New weights (and their SHA-256 in metadata.json) redo every case that uses them.
        let weights = model + "/weights.safetensors"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: weights)))
        let original = ContentHash.hex(bytes)
        bytes[bytes.count - 1] ^= 0x01  // the lowest mantissa bit of the last weight
        try Data(bytes).write(to: URL(fileURLWithPath: weights))
        let metadataPath = model + "/metadata.json"
        let metadata = try String(contentsOfFile: metadataPath, encoding: .utf8)
            .replacingOccurrences(of: original, with: ContentHash.hex(bytes))
        try metadata.write(toFile: metadataPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(), ["cases": 6, "ok": 6, "failed": 0, "skipped": 0])
        XCTAssertEqual(try run()["skipped"], 6)

        // Another pipeline (here: one more stage) redoes every case; --overwrite redoes all.
        let text = try String(contentsOfFile: pipeline, encoding: .utf8)
            .replacingOccurrences(of: #"{"op": "LoadImage", "colour": "rgb"},"#,
                                  with: #"{"op": "LoadImage", "colour": "rgb"}, "#
                                      + #"{"op": "EnsureChannelFirst"},"#)
        try text.write(toFile: pipeline, atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(), ["cases": 6, "ok": 6, "failed": 0, "skipped": 0])
        XCTAssertEqual(try run(["--overwrite"]), ["cases": 6, "ok": 6, "failed": 0, "skipped": 0])
        // Formatting and the description are not part of the pipeline's identity.
        try (text.replacingOccurrences(of: #""name": "resume-test","#,
                                       with: #""name": "resume-test", "description": "x","#))
            .write(toFile: pipeline, atomically: true, encoding: .utf8)
        XCTAssertEqual(try run()["skipped"], 6)
    }

    /// SIGINT stops the run with 75 and leaves no temporary file; a rerun finishes the batch.
    func testInterruptedRunExits75WithoutTemporaryFilesAndARerunFinishes() throws {
        let folder = temporaryFolder()
        let total = 16
        let input = try emCases(total, in: folder)
        let out = folder + "/out"
        let pipeline = Self.root + "/pipelines/segment-em.json"
        let process = try startRun(input: input, out: out, jobs: 2, until: 3)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 75)
        let names = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String]) ?? []
        XCTAssertEqual(names.filter { $0.contains(".tmp-") }, [])
        let rerun = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let counts = try manifestCounts(out)
        XCTAssertEqual(counts["cases"], total)
        XCTAssertEqual(counts["ok"]! + counts["skipped"]!, total)
        XCTAssertGreaterThanOrEqual(counts["skipped"]!, 2)
    }
}
