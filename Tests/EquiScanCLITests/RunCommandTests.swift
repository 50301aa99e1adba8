import Foundation
import ImageCodecs
import XCTest
import _TestSupport

/// `equiscan run` end to end over real files in temporary folders: records, exit statuses,
/// failures that do not stop the batch, outputs that mirror the inputs.
final class RunCommandTests: XCTestCase {
    static var root: String { CLIRunner.packageRoot.path }

    static func pipeline(_ name: String) -> String { root + "/pipelines/" + name }

    /// Copies `files` (paths under the package root) to `folder/relative`.
    func copy(_ files: [(String, String)], to folder: String) throws {
        for (source, relative) in files {
            let target = (folder as NSString).appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.root + "/" + source, toPath: target)
        }
    }

    func record(_ out: String, _ caseID: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results/" + caseID + ".json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func error(_ record: [String: Any]) -> (stage: String, message: String)? {
        guard let error = record["error"] as? [String: Any] else { return nil }
        return (error["stage"] as? String ?? "", error["message"] as? String ?? "")
    }

    func testMixedBatchRecordsEachFailureWithItsStageAndCompletesTheRest() throws {
        let folder = temporaryFolder()
        let input = folder + "/in"
        try copy([("samples/cells/RBC/BloodImage_00000_03.png", "rbc/a.png"),
                  ("samples/cells/WBC/BloodImage_00000_00.png", "wbc/b.png"),
                  ("samples/cells/Platelets/BloodImage_00014_14.png", "plt/c.png"),
                  ("samples/scans/mr_small_64.png", "gray.png")], to: input)
        XCTAssertTrue(FileManager.default.createFile(atPath: input + "/empty.png",
                                                     contents: Data()))
        var corrupt = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        corrupt.append(Data(repeating: 0x41, count: 64))
        XCTAssertTrue(FileManager.default.createFile(atPath: input + "/corrupt.png",
                                                     contents: corrupt))
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"),
                                        "-i", input, "-o", out, "--jobs", "2"])
        XCTAssertEqual(result.status, 2, result.stderr)

        let expectedLabels = ["rbc/a": "RBC", "wbc/b": "WBC", "plt/c": "Platelets"]
        for (id, label) in expectedLabels {
            let record = try record(out, id)
            XCTAssertEqual(record["status"] as? String, "ok", id)
            XCTAssertTrue(record["error"] is NSNull, id)
            let classification = try XCTUnwrap(record["classification"] as? [String: Any])
            XCTAssertEqual(classification["label"] as? String, label, id)
            let probabilities = try XCTUnwrap(classification["probabilities"] as? [String: Double])
            XCTAssertEqual(Set(probabilities.keys), ["RBC", "WBC", "Platelets"])
            XCTAssertEqual(probabilities.values.reduce(0, +), 1, accuracy: 1e-9)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: input + "/" + id + ".png"))
            XCTAssertEqual(record["inputSHA256"] as? String, ContentHash.hex([UInt8](bytes)))
        }
        let empty = try XCTUnwrap(error(try record(out, "empty")))
        XCTAssertEqual(empty.stage, "0 LoadImage")
        XCTAssertTrue(empty.message.hasPrefix(input + "/empty.png: "), empty.message)
        XCTAssertTrue(empty.message.contains("empty"), empty.message)
        let broken = try XCTUnwrap(error(try record(out, "corrupt")))
        XCTAssertEqual(broken.stage, "0 LoadImage")
        XCTAssertTrue(broken.message.hasPrefix(input + "/corrupt.png: "), broken.message)
        // A 16-bit gray MR slice cannot feed an 8-bit RGB classifier: refused by the model's
        // input check, not converted silently.
        let gray = try XCTUnwrap(error(try record(out, "gray")))
        XCTAssertEqual(gray.stage, "1 Classify")
        XCTAssertTrue(gray.message.contains("bccd-cells"), gray.message)
        for id in ["empty", "corrupt", "gray"] {
            XCTAssertEqual(try record(out, id)["status"] as? String, "failed")
            XCTAssertTrue(result.stderr.contains(input + "/\(id).png"), result.stderr)
        }

        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as? [String: Any])
        let counts = try XCTUnwrap(manifest["counts"] as? [String: Int])
        XCTAssertEqual(counts, ["cases": 6, "ok": 3, "failed": 3, "skipped": 0])
        let models = try XCTUnwrap(manifest["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["name"] as? String }, ["bccd-cells"])
        XCTAssertNotNil(manifest["endedAt"] as? String)
        // Every run writes its reports: one row per case, the header from the model's classes.
        let csv = try String(contentsOfFile: out + "/reports/predictions.csv", encoding: .utf8)
        let rows = csv.split(separator: "\r\n")
        XCTAssertEqual(rows.count, 7)
        XCTAssertTrue(rows[0].hasPrefix("case,status,label,confidence,p_RBC,p_WBC,p_Platelets,"))
    }

    func testInvalidPipelineIsRefusedWith65BeforeAnyScanIsRead() throws {
        let folder = temporaryFolder()
        let pipeline = folder + "/p.json"
        try #"{"version": 1, "name": "x", "stages": [{"op": "LoadImage", "colour": "grey"}]}"#
            .write(toFile: pipeline, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["run", "-p", pipeline, "-i", CLIRunner.sample(""),
                                        "-o", folder + "/out"])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains(pipeline + ":1:"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
    }

    func testNoScansIs66AndAMissingInputToo() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder + "/in",
                                                withIntermediateDirectories: true)
        let emptyRun = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"),
                                          "-i", folder + "/in", "-o", folder + "/out"])
        XCTAssertEqual(emptyRun.status, 66, emptyRun.stderr)
        XCTAssertTrue(emptyRun.stderr.contains("no scans found in " + folder + "/in"))
        let missing = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"),
                                         "-i", folder + "/nothing", "-o", folder + "/out"])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains(folder + "/nothing: no such file or folder"))
    }

    func testOutputFolderEqualToTheInputFolderIsAUsageError() throws {
        let folder = temporaryFolder()
        try copy([("samples/cells/RBC/BloodImage_00000_03.png", "a.png")], to: folder)
        let result = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"),
                                        "-i", folder, "-o", folder + "/."])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("is the input folder"), result.stderr)
    }

    /// The upright scan a pipeline writes is exactly what `equiscan canonicalize` writes, and
    /// the pose recorded is the one canonicalize reports: one canonicalizer, two front ends.
    func testOrientationPipelineAgreesWithCanonicalize() throws {
        let folder = temporaryFolder()
        let input = folder + "/in"
        try copy([("samples/scans/ct_small_128.png", "ct/ct.png"),
                  ("samples/scans/mr_small_64.png", "mr.png")], to: input)
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", Self.pipeline("orientation-correction.json"),
                                        "-i", input, "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let model = Self.root + "/samples/models/orientation-d4"
        for (id, file) in [("ct/ct", "ct/ct.png"), ("mr", "mr.png")] {
            let reference = try CLIRunner.run(["canonicalize", "-m", model, input + "/" + file,
                                               "-o", folder + "/ref/" + id, "--json"])
            XCTAssertEqual(reference.status, 0, reference.stderr)
            let expected = try XCTUnwrap(try CLIRunner.jsonArray(reference).first?["pose"]
                                            as? [String: Any])
            let record = try record(out, id)
            let pose = try XCTUnwrap(record["pose"] as? [String: Any])
            XCTAssertEqual(pose["rotation"] as? Int,
                           (expected["rotation"] as? Double).map(Int.init))
            XCTAssertEqual(pose["mirrored"] as? Bool, expected["mirrored"] as? Bool)
            // Both abstain by the package's calibrated thresholds: an uncertain pose turns
            // nothing (canonicalize writes nothing, the pipeline saves the scan as it is).
            let uncertain = try XCTUnwrap(expected["uncertain"] as? Bool)
            XCTAssertEqual(pose["uncertain"] as? Bool, uncertain)
            XCTAssertEqual(record["outputs"] as? [String], [id + "_scan.png"])
            let written = try ImageDecoder.decode(path: out + "/" + id + "_scan.png")
            let upright = try ImageDecoder.decode(
                path: uncertain ? input + "/" + file
                    : folder + "/ref/" + id + "/" + (file as NSString).lastPathComponent)
            XCTAssertEqual(written.samples, upright.samples, id)
            XCTAssertEqual(written.width, upright.width)
        }
    }

    /// nnU-Net naming: CASE_0000, CASE_0001 are one case's channels; channel files of
    /// different sizes, gaps in the numbering and names outside the scheme fail their case
    /// with the reason, and the batch goes on.
    func testNnUNetChannelFilesMakeOneCaseAndWrongSizesFailTheirCase() throws {
        let folder = temporaryFolder()
        let input = folder + "/in"
        try copy([("samples/cells/RBC/BloodImage_00000_03.png", "a_0000.png"),
                  ("samples/cells/WBC/BloodImage_00000_00.png", "a_0001.png"),
                  ("samples/cells/RBC/BloodImage_00030_15.png", "b_0000.png"),
                  ("samples/scans/ct_small_128.png", "b_0001.png"),
                  ("samples/cells/RBC/BloodImage_00072_01.png", "c_0001.png"),
                  ("samples/cells/RBC/BloodImage_00115_04.png", "d.png")], to: input)
        let pipeline = folder + "/channels.json"
        try """
            {"version": 1, "name": "channels",
             "inputs": {"include": ["**/*.png"], "naming": "nnunet"},
             "stages": [{"op": "LoadImage", "colour": "gray"},
                        {"op": "SaveImage", "what": "scan", "format": "tiff"}]}
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out])
        XCTAssertEqual(result.status, 2, result.stderr)

        let a = try record(out, "a")
        XCTAssertEqual(a["status"] as? String, "ok")
        XCTAssertEqual(a["input"] as? String, input + "/a_0000.png")
        let stacked = try ImageDecoder.decode(path: out + "/a_scan.tif")
        XCTAssertEqual(stacked.channels, 2)
        // Channel c of the output is the luma of file c (Rec. 601, rounded to 8 bits).
        for (c, file) in ["a_0000.png", "a_0001.png"].enumerated() {
            let source = try ImageDecoder.decode(path: input + "/" + file)
            guard case .uint8(let rgb) = source.samples, case .uint8(let out) = stacked.samples
            else { return XCTFail("expected 8-bit samples") }
            for pixel in [0, 1000, 4095] {
                let luma = 0.299 * Float(rgb[pixel * 3]) + 0.587 * Float(rgb[pixel * 3 + 1])
                    + 0.114 * Float(rgb[pixel * 3 + 2])
                XCTAssertEqual(out[pixel * 2 + c], UInt8(luma.rounded()), "\(file) pixel \(pixel)")
            }
        }
        let b = try XCTUnwrap(error(try record(out, "b")))
        XCTAssertEqual(b.stage, "0 LoadImage")
        XCTAssertEqual(b.message, input + "/b_0001.png: is 128×128, but the case's first channel "
                       + input + "/b_0000.png is 64×64; the channels of a case must have one size")
        let c = try XCTUnwrap(error(try record(out, "c")))
        XCTAssertEqual(c.stage, "input")
        XCTAssertEqual(c.message, input + "/c_0001.png: case c has no channel 0000 (its channel "
                       + "files are 0001; nnU-Net numbers them from 0000 without gaps)")
        let d = try XCTUnwrap(error(try record(out, "d")))
        XCTAssertEqual(d.stage, "input")
        XCTAssertTrue(d.message.contains("does not follow nnU-Net's CASE_0000"), d.message)
    }

    /// Abstention: below the stage's `min_confidence` the pose is reported as uncertain (with
    /// the best guess) and nothing is turned: the saved scan is the scan as loaded.
    func testUncertainPoseTurnsNothing() throws {
        let folder = temporaryFolder()
        let input = folder + "/in"
        try copy([("samples/scans/stardist_he_histo.jpg", "he.jpg")], to: input)
        var printed: [String: String] = [:]
        func run(_ name: String, _ canonicalize: String) throws -> String {
            let pipeline = folder + "/\(name).json"
            try """
                {"version": 1, "name": "\(name)", "stages": [
                    {"op": "LoadImage", "colour": "gray"}, \(canonicalize)
                    {"op": "SaveImage", "what": "scan"}]}
                """.write(toFile: pipeline, atomically: true, encoding: .utf8)
            let out = folder + "/" + name
            let result = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            printed[name] = result.stdout
            return out
        }
        let model = Self.root + "/samples/models/orientation-d4"
        let plain = try run("plain", "")
        let sure = try run("sure", #"{"op": "CanonicalizeOrientation", "model": "\#(model)", "#
                           + #""min_confidence": 0},"#)
        let unsure = try run("unsure", #"{"op": "CanonicalizeOrientation", "model": "\#(model)", "#
                             + #""min_confidence": 1},"#)
        let surePose = try XCTUnwrap(try record(sure, "he")["pose"] as? [String: Any])
        let unsurePose = try XCTUnwrap(try record(unsure, "he")["pose"] as? [String: Any])
        XCTAssertEqual(surePose["uncertain"] as? Bool, false)
        XCTAssertEqual(unsurePose["uncertain"] as? Bool, true)
        // The progress line says so too.
        XCTAssertTrue(printed["unsure"]?.contains("uncertain (not turned)") ?? false,
                      printed["unsure"] ?? "")
        // (Its mirror may still be below the package's mirror threshold: min_confidence is
        // the rotation's.)
        XCTAssertFalse(printed["sure"]?.contains("uncertain (not turned)") ?? true,
                       printed["sure"] ?? "")
        // The best guess is still reported.
        XCTAssertEqual(unsurePose["rotation"] as? Int, surePose["rotation"] as? Int)
        XCTAssertEqual(unsurePose["mirrored"] as? Bool, surePose["mirrored"] as? Bool)
        let loaded = try ImageDecoder.decode(path: plain + "/he_scan.png")
        let kept = try ImageDecoder.decode(path: unsure + "/he_scan.png")
        let turned = try ImageDecoder.decode(path: sure + "/he_scan.png")
        XCTAssertEqual(kept, loaded)
        // The sample's pose is not the identity, so the confident run did turn it.
        XCTAssertTrue(surePose["rotation"] as? Int != 0 || surePose["mirrored"] as? Bool == true)
        XCTAssertNotEqual(turned.samples, loaded.samples)

        // `equiscan canonicalize` abstains the same way: nothing written, uncertain reported.
        let result = try CLIRunner.run(["canonicalize", "-m", model, input + "/he.jpg",
                                        "-o", folder + "/canon", "--min-confidence", "1",
                                        "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let entry = try XCTUnwrap(try CLIRunner.jsonArray(result).first)
        XCTAssertEqual((entry["pose"] as? [String: Any])?["uncertain"] as? Bool, true)
        XCTAssertNil(entry["output"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/canon/he.png"))
    }
}
