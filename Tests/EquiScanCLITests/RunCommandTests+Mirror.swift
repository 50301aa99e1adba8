import Foundation
import ImageCodecs
import XCTest
import _TestSupport

/// The pipeline's record of a pose whose mirror is only a guess: `mirrorUncertain` beside
/// `uncertain`, as `equiscan canonicalize --json` reports it, in predictions.csv and
/// summary.json, and a saved scan turned by the rotation alone.
extension RunCommandTests {
    /// A copy of the sample orientation package in `folder/name` whose metadata never abstains
    /// on the rotation and marks the mirror identifiable or not.
    func orientationPackage(_ name: String, in folder: String,
                            mirrorIdentifiable: Bool) throws -> String {
        try SampleOrientationPackage.copy(to: folder + "/" + name) { metadata in
            metadata["minConfidence"] = 0
            metadata["mirrorMinConfidence"] = 0
            metadata["mirrorIdentifiable"] = mirrorIdentifiable
        }
    }

    /// `samples` of a gray scan of `height` × `width` turned by numpy's `rot90(a, -rotation)`
    /// and then, when `mirrored`, `fliplr`: the canonical form of a scan in pose (rotation,
    /// mirrored), written out independently of the library.
    func undone(_ scan: Scan, rotation: Int, mirrored: Bool) throws -> Samples {
        func undo<T>(_ values: [T]) -> [T] {
            let turned = NumpyGrid.rot90(values, height: scan.height, width: scan.width,
                                         times: -rotation)
            return mirrored
                ? NumpyGrid.fliplr(turned.samples, height: turned.height, width: turned.width)
                : turned.samples
        }
        XCTAssertEqual(scan.channels, 1)
        switch scan.samples {
        case .uint8(let values): return .uint8(undo(values))
        case .uint16(let values): return .uint16(undo(values))
        default: throw XCTSkip("the test scans are 8- or 16-bit")
        }
    }

    func testMirrorUncertainPoseIsRecordedAndOnlyTheRotationIsUndone() throws {
        let folder = temporaryFolder()
        let input = folder + "/in"
        let scans = ["ct", "mr", "eye", "he"]
        try copy([("samples/scans/ct_small_128.png", "ct.png"),
                  ("samples/scans/mr_small_64.png", "mr.png"),
                  ("samples/scans/skimage_microaneurysms.png", "eye.png"),
                  ("samples/scans/stardist_he_histo.jpg", "he.jpg")], to: input)
        let sure = try orientationPackage("sure", in: folder, mirrorIdentifiable: true)
        let guessed = try orientationPackage("guessed", in: folder, mirrorIdentifiable: false)
        var printed: [String: String] = [:]
        func run(_ name: String, _ model: String?) throws -> String {
            let pipeline = folder + "/\(name).json"
            let stage = model.map { #"{"op": "CanonicalizeOrientation", "model": "\#($0)"},"# }
            try """
                {"version": 1, "name": "\(name)", "inputs": {"include": ["*.png", "*.jpg"]},
                 "stages": [{"op": "LoadImage", "colour": "gray"}, \(stage ?? "")
                            {"op": "SaveImage", "what": "scan", "format": "png"}]}
                """.write(toFile: pipeline, atomically: true, encoding: .utf8)
            let out = folder + "/" + name + "-out"
            let result = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            printed[name] = result.stdout
            return out
        }
        let plain = try run("plain", nil)
        let full = try run("sure", sure)
        let rotationOnly = try run("guessed", guessed)
        let reference = try CLIRunner.run(["canonicalize", "-m", guessed, "--json"]
                                          + ["ct.png", "mr.png", "eye.png", "he.jpg"]
                                              .map { input + "/" + $0 })
        XCTAssertEqual(reference.status, 0, reference.stderr)
        let canonicalized = try CLIRunner.jsonArray(reference)
        var mirroredCases = 0
        for (index, id) in scans.enumerated() {
            let surePose = try XCTUnwrap(try record(full, id)["pose"] as? [String: Any])
            let guessedPose = try XCTUnwrap(try record(rotationOnly, id)["pose"]
                                                as? [String: Any])
            let rotation = try XCTUnwrap(surePose["rotation"] as? Int)
            let mirrored = try XCTUnwrap(surePose["mirrored"] as? Bool)
            if mirrored { mirroredCases += 1 }
            // The same best guess, never uncertain (threshold 0); only the mirror flag differs.
            XCTAssertEqual(guessedPose["rotation"] as? Int, rotation, id)
            XCTAssertEqual(guessedPose["mirrored"] as? Bool, mirrored, id)
            XCTAssertEqual(surePose["uncertain"] as? Bool, false, id)
            XCTAssertEqual(guessedPose["uncertain"] as? Bool, false, id)
            XCTAssertEqual(surePose["mirrorUncertain"] as? Bool, false, id)
            XCTAssertEqual(guessedPose["mirrorUncertain"] as? Bool, true, id)
            // canonicalize reports the same flags for the same package.
            let canonical = try XCTUnwrap(canonicalized[index]["pose"] as? [String: Any])
            XCTAssertEqual(canonical["mirrorUncertain"] as? Bool, true, id)
            XCTAssertEqual(canonical["uncertain"] as? Bool, false, id)
            // Saved scans against numpy's turns of the scan as loaded.
            let loaded = try ImageDecoder.decode(path: plain + "/" + id + "_scan.png")
            let turned = try ImageDecoder.decode(path: full + "/" + id + "_scan.png")
            let kept = try ImageDecoder.decode(path: rotationOnly + "/" + id + "_scan.png")
            XCTAssertEqual(turned.samples,
                           try undone(loaded, rotation: rotation, mirrored: mirrored), id)
            XCTAssertEqual(kept.samples, try undone(loaded, rotation: rotation, mirrored: false),
                           id)
        }
        // Without a mirrored guess the two packages would write the same scans.
        XCTAssertGreaterThan(mirroredCases, 0, "no scan was guessed mirrored")
        let rows = CSVReader.rows(try String(contentsOfFile: rotationOnly
                                                 + "/reports/predictions.csv", encoding: .utf8))
        let column = try XCTUnwrap(rows.first?.firstIndex(of: "poseMirrorUncertain"))
        XCTAssertEqual(rows.dropFirst().map { $0[column] }, ["true", "true", "true", "true"])
        let sureRows = CSVReader.rows(try String(
            contentsOfFile: full + "/reports/predictions.csv", encoding: .utf8))
        XCTAssertEqual(sureRows.dropFirst().map { $0[column] }, Array(repeating: "false",
                                                                       count: 4))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(
            fileURLWithPath: rotationOnly + "/reports/summary.json"))) as? [String: Any])
        let counts = try XCTUnwrap(summary["counts"] as? [String: Int])
        XCTAssertEqual(counts["poseMirrorUncertain"], 4)
        XCTAssertEqual(counts["poseUncertain"], 0)
        XCTAssertTrue(printed["guessed"]?.contains("mirror uncertain (not mirrored)") ?? false,
                      printed["guessed"] ?? "")
        XCTAssertFalse(printed["sure"]?.contains("uncertain") ?? true, printed["sure"] ?? "")
    }
}
