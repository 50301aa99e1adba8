import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import XCTest
import _TestSupport

/// `equiscan canonicalize`: poses, corrected scans, JSON and exit statuses, run through the
/// built binary with a small seeded D4 canonicalizer.
final class CanonicalizeCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("canonicalize-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A seeded D4 canonicalizer saved to `model.safetensors`, and an upright scan plus the
    /// same scan turned by R^1 F (mirrored, then a quarter turn).
    private func prepare() throws -> (model: String, upright: String, turned: String) {
        let configuration = CanonicalizerConfiguration(
            group: .d4, preprocessing: ScorerPreprocessing(size: 32),
            network: ScoringNetworkConfiguration(fields: [4, 6, 4], poolingSteps: 2, seed: 5))
        let canonicalizer = try DiscreteCanonicalizer(configuration: configuration)
        canonicalizer.eval()
        let model = folder.appendingPathComponent("model.safetensors")
        try canonicalizer.save(weightsTo: model)
        let scan = try ImageDecoder.decode(
            path: Fixtures.path("orientation/cr_chest_1841x1955.png"))
        let upright = folder.appendingPathComponent("upright.png").path
        let turned = folder.appendingPathComponent("turned.png").path
        try ImageEncoder.write(scan, to: upright, format: .png)
        try ImageEncoder.write(scan.mirrored().rotated90(times: 1), to: turned, format: .png)
        return (model.path, upright, turned)
    }

    private func pose(_ object: [String: Any]) throws -> GroupElement {
        let pose = try XCTUnwrap(object["pose"] as? [String: Any], "\(object)")
        let rotation = try XCTUnwrap(pose["rotation"] as? Double)
        let mirrored = try XCTUnwrap(pose["mirrored"] as? Bool)
        let confidence = try XCTUnwrap(pose["confidence"] as? Double)
        XCTAssertTrue((0...1).contains(confidence))
        XCTAssertEqual(pose["group"] as? String, "D4")
        return GroupElement(mirrored: mirrored, rotation: Int(rotation))
    }

    /// The pose of g·x is g ∘ pose(x); an unreadable file gets its own error object and the
    /// run exits 2 (some cases failed) after the others.
    func testJSONPosesComposeAndBadFileGivesExit2() throws {
        let (model, upright, turned) = try prepare()
        let broken = folder.appendingPathComponent("broken.png").path
        try Data("not a scan".utf8).write(to: URL(fileURLWithPath: broken))
        let result = try CLIRunner.run(["canonicalize", "-m", model, upright, broken, turned,
                                        "--json"])
        XCTAssertEqual(result.status, 2, result.stderr)
        let objects = try CLIRunner.jsonArray(result)
        XCTAssertEqual(objects.map { $0["file"] as? String }, [upright, broken, turned])
        XCTAssertNotNil(objects[1]["error"] as? String)
        XCTAssertNil(objects[1]["pose"])
        let g = GroupElement(mirrored: true, rotation: 1)
        XCTAssertEqual(try pose(objects[2]), Group.d4.compose(g, try pose(objects[0])))

        // Every pose's probability: they add up to 1, the pose reported is the one of the
        // most probable rotation (a pose and its mirror image added) with the likelier
        // mirror, and turning the scan by g moves pose h's probability to g ∘ h.
        let original = try probabilities(objects[0])
        let turnedScan = try probabilities(objects[2])
        XCTAssertEqual(original.count, 8)
        for (element, _) in original {
            let moved = Group.d4.compose(g, element)
            XCTAssertEqual(try XCTUnwrap(turnedScan[moved]), try XCTUnwrap(original[element]),
                           accuracy: 1e-4, "pose \(element)")
        }
        for (object, table) in [(objects[0], original), (objects[2], turnedScan)] {
            XCTAssertEqual(table.values.reduce(0, +), 1, accuracy: 1e-5)
            func p(_ r: Int, _ m: Bool) -> Double {
                table[GroupElement(mirrored: m, rotation: r)] ?? -1
            }
            let r = try XCTUnwrap((0..<4).max { p($0, false) + p($0, true)
                                               < p($1, false) + p($1, true) })
            XCTAssertEqual(GroupElement(mirrored: p(r, true) > p(r, false), rotation: r),
                           try pose(object))
        }
    }

    /// The `probabilities` of a pose object, by group element.
    private func probabilities(_ object: [String: Any]) throws -> [GroupElement: Double] {
        let pose = try XCTUnwrap(object["pose"] as? [String: Any], "\(object)")
        let entries = try XCTUnwrap(pose["probabilities"] as? [[String: Any]], "\(pose)")
        var table: [GroupElement: Double] = [:]
        for entry in entries {
            let element = GroupElement(mirrored: try XCTUnwrap(entry["mirrored"] as? Bool),
                                       rotation: Int(try XCTUnwrap(entry["rotation"] as? Double)))
            XCTAssertNil(table[element], "pose \(element) listed twice")
            table[element] = try XCTUnwrap(entry["probability"] as? Double)
        }
        return table
    }

    /// With -o both files come out identical (the canonical form), as 8-bit PNGs of the
    /// scan's own size family, and the text output names the pose.
    func testCorrectedScansAreWrittenAndAgree() throws {
        let (model, upright, turned) = try prepare()
        let output = folder.appendingPathComponent("out", isDirectory: true).path
        let result = try CLIRunner.run(["canonicalize", "--model", model, upright, turned,
                                        "-o", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("upright.png: rotation "), result.stdout)
        XCTAssertTrue(result.stdout.contains("mirrored "), result.stdout)
        let a = try ImageDecoder.decode(path: output + "/upright.png")
        let b = try ImageDecoder.decode(path: output + "/turned.png")
        XCTAssertEqual(a.samples.sampleType, .uint8)
        XCTAssertEqual(a.metadata.format, .png)
        XCTAssertEqual(a.samples, b.samples)
        XCTAssertEqual([a.width, a.height], [b.width, b.height])
    }

    /// A copy of the sample orientation package with `minConfidence` 0 and the calibration's
    /// rotation marked as reaching its target or not.
    private func samplePackage(named name: String, reachesTarget: Bool) throws -> String {
        try SampleOrientationPackage.copy(to: folder.appendingPathComponent(name).path) {
            metadata in
            var calibration = try XCTUnwrap(metadata["calibration"] as? [String: Any])
            var rotation = try XCTUnwrap(calibration["rotation"] as? [String: Any])
            rotation["reachesTarget"] = reachesTarget
            calibration["rotation"] = rotation
            metadata["calibration"] = calibration
            metadata["minConfidence"] = 0
        }
    }

    /// A package whose calibration found no threshold reaching its target turns nothing,
    /// whatever its recorded minConfidence, until a threshold is given; one that reached it
    /// acts on its threshold (here 0: every pose).
    func testPackageWhoseCalibrationMissedTurnsNothingUnlessTold() throws {
        let (_, upright, turned) = try prepare()
        func run(_ package: String, _ extra: [String]) throws -> (uncertain: [Bool],
                                                                  written: [String]) {
            let output = folder.appendingPathComponent("out-\(UUID().uuidString)").path
            let result = try CLIRunner.run(["canonicalize", "-m", package, upright, turned,
                                            "--json", "-o", output] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            let objects = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(result.stdout.utf8)) as? [[String: Any]], result.stdout)
            let uncertain = try objects.map { object in
                try XCTUnwrap((object["pose"] as? [String: Any])?["uncertain"] as? Bool)
            }
            let written = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
            return (uncertain, written.sorted())
        }
        let missed = try samplePackage(named: "missed", reachesTarget: false)
        let reached = try samplePackage(named: "reached", reachesTarget: true)
        let silent = try run(missed, [])
        XCTAssertEqual(silent.uncertain, [true, true])
        XCTAssertEqual(silent.written, [])
        let told = try run(missed, ["--min-confidence", "0"])
        XCTAssertEqual(told.uncertain, [false, false])
        XCTAssertEqual(told.written, ["turned.png", "upright.png"])
        let acting = try run(reached, [])
        XCTAssertEqual(acting.uncertain, [false, false])
        XCTAssertEqual(acting.written, ["turned.png", "upright.png"])
    }

    /// A model path that does not exist is "no input" (66); a file that is no canonicalizer
    /// is invalid data (65).
    func testBadModelPaths() throws {
        let (_, upright, _) = try prepare()
        let missing = try CLIRunner.run(["canonicalize", "-m", folder.path + "/nope", upright])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        let notModel = try CLIRunner.run(["canonicalize", "-m", upright, upright])
        XCTAssertEqual(notModel.status, 65, notModel.stderr)
        XCTAssertTrue(notModel.stderr.contains("equiscan: "), notModel.stderr)
    }
}
