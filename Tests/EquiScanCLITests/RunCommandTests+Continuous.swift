import Foundation
import ImageCodecs
import XCTest
import _TestSupport

/// `CanonicalizeOrientation` with `"method": "egnn"` in a pipeline, through the built binary.
extension RunCommandTests {
    /// The record's pose is the nearest quarter turn of the angle `equiscan canonicalize`
    /// reports, and InvertCanonicalization turns the canonical image back onto the scan
    /// (two bilinear turns: close inside the inscribed disc, not equal).
    func testContinuousCanonicalizationTurnsAndTurnsBack() throws {
        let folder = temporaryFolder()
        let input = folder + "/in"
        try copy([("samples/scans/ct_small_128.png", "ct.png")], to: input)
        let model = Self.root + "/samples/models/orientation-egnn"
        let pipeline = folder + "/p.json"
        try """
            {"version": 1, "name": "egnn", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "\(model)", "method": "egnn",
                 "id": "canon"},
                {"op": "SaveImage", "what": "scan", "id": "upright"},
                {"op": "InvertCanonicalization", "input": "@canon"},
                {"op": "SaveImage", "what": "scan", "id": "back"}]}
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let pose = try XCTUnwrap(try record(out, "ct")["pose"] as? [String: Any])
        let single = try CLIRunner.run(["canonicalize", "-m", model, input + "/ct.png", "--json"])
        let entry = try XCTUnwrap(try CLIRunner.jsonArray(single).first)
        let angle = try XCTUnwrap((entry["pose"] as? [String: Any])?["angleDegrees"] as? Double)
        XCTAssertEqual(pose["rotation"] as? Int, ((Int((angle / 90).rounded()) % 4) + 4) % 4)
        XCTAssertEqual(try XCTUnwrap(pose["angleDegrees"] as? Double), angle, accuracy: 1e-9,
                       "the record carries the angle itself")

        let loaded = try ImageDecoder.decode(path: input + "/ct.png")
        let back = try ImageDecoder.decode(path: out + "/ct_back.png")
        XCTAssertEqual([back.width, back.height], [loaded.width, loaded.height])
        guard case .uint16(let a) = loaded.samples, case .uint16(let b) = back.samples else {
            return XCTFail("expected 16-bit samples, got \(loaded.samples.sampleType) and "
                           + "\(back.samples.sampleType)")
        }
        let range = Double((a.max() ?? 1) - (a.min() ?? 0))
        var total = 0.0, count = 0
        for r in 0..<128 {
            for c in 0..<128 where pow(Double(r) - 63.5, 2) + pow(Double(c) - 63.5, 2) < 3600 {
                total += abs(Double(a[r * 128 + c]) - Double(b[r * 128 + c]))
                count += 1
            }
        }
        XCTAssertLessThan(total / Double(count) / range, 0.03,
                          "mean difference inside the disc, relative to the range")
    }

    /// A package that is not a continuous one is refused when the pipeline is validated.
    func testContinuousMethodRefusesADiscretePackage() throws {
        let result = try validateContinuousStage(model: "orientation-d4", extra: "")
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("not an EGNN orientation package"), result.stderr)
    }

    /// A continuous pose has no softmax margin: a threshold on it is refused, not ignored.
    func testContinuousMethodRefusesMinConfidence() throws {
        let result = try validateContinuousStage(model: "orientation-egnn",
                                                 extra: ", \"min_confidence\": 0.5")
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("min_confidence applies to the discrete "
                                             + "canonicalizer only"), result.stderr)
    }

    /// `equiscan validate` of a pipeline whose CanonicalizeOrientation stage uses the sample
    /// package `model` with `"method": "egnn"` and the members `extra`.
    func validateContinuousStage(model: String, extra: String) throws -> CLIResult {
        let pipeline = temporaryFolder() + "/p.json"
        try """
            {"version": 1, "name": "egnn", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "\(Self.root)/samples/models/\(model)",
                 "method": "egnn"\(extra)}]}
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        return try CLIRunner.run(["validate", pipeline])
    }
}
