import Foundation
import ImageCodecs
import ModelRuntime
import Reports
import XCTest
import _TestSupport

/// Reports of real batches (`equiscan run` over the sample cells and EM slices, and `equiscan
/// report`): the CSV tables, summary.json and report.html parse and say what the records say.
final class ReportCommandTests: XCTestCase {
    static func pipeline(_ name: String) -> String {
        CLIRunner.packageRoot.path + "/pipelines/" + name
    }

    /// A PNG signature and junk: fails at LoadImage.
    static let corrupt = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
                              + [UInt8](repeating: 0x41, count: 40))

    func testCellBatchReportsAgreeWithTheRecords() throws {
        let folder = temporaryFolder()
        let input = try sampleCells(in: folder + "/in", extra: ["corrupt.png": Self.corrupt])
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"),
                                        "-i", input, "-o", out, "--jobs", "2"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stdout.contains(out + "/reports/"), result.stdout)
        let records = try self.caseRecords(out)
        XCTAssertEqual(records.count, 13)
        let classes = ["RBC", "WBC", "Platelets"]

        let rows = CSVReader.rows(try report(out, "predictions.csv"))
        XCTAssertEqual(rows.first, ["case", "status", "label", "confidence"]
                       + classes.map { "p_" + $0 }
                       + ["poseRotation", "poseMirrored", "poseConfidence", "poseUncertain",
                          "poseMirrorUncertain", "seconds", "error", "orbitConsistent",
                          "orbitProbabilitySpread", "orbitMinDice"])
        XCTAssertEqual(rows.dropFirst().map { $0[0] }, records.keys.sorted())
        for row in rows.dropFirst() {
            let record = try XCTUnwrap(records[row[0]])
            XCTAssertEqual(row[1], record.status.rawValue)
            XCTAssertEqual(row.count, 17)
            XCTAssertEqual(Double(row[12]) ?? -1, record.seconds, accuracy: 1e-6, row[0])
            guard let classification = record.classification else {
                XCTAssertEqual(row[1], "failed")
                XCTAssertEqual(row[2...11].filter { !$0.isEmpty }, [])
                XCTAssertEqual(row[13], "\(record.error?.stage ?? ""): "
                               + "\(record.error?.message ?? "")")
                XCTAssertEqual(row[14...16].joined(), "", "a failed case has no orbit")
                continue
            }
            XCTAssertEqual(row[2], classification.label)
            XCTAssertEqual(Double(row[3]) ?? -1,
                           classification.probabilities[classification.label] ?? 0,
                           accuracy: 5e-7)
            for (offset, name) in classes.enumerated() {
                XCTAssertEqual(Double(row[4 + offset]) ?? -1,
                               classification.probabilities[name] ?? 0, accuracy: 5e-7)
            }
            // No canonicalizer, no pose; the D4-invariant classifier passes its orbit.
            XCTAssertEqual(row[7...11].joined(), "")
            XCTAssertEqual(row[13], "")
            XCTAssertEqual(row[14], "true", row[0])
            XCTAssertLessThan(Double(row[15]) ?? 1, 1e-4, row[0])
            XCTAssertEqual(row[16], "")
        }

        let failures = CSVReader.rows(try report(out, "failures.csv"))
        let corrupt = try XCTUnwrap(records["corrupt"]?.error)
        XCTAssertEqual(failures, [["case", "stage", "error", "attempts"],
                                  ["corrupt", corrupt.stage, corrupt.message, "1"]])

        let summary = try summaryObject(out)
        XCTAssertEqual(summary["counts"] as? [String: Int],
                       ["cases": 13, "ok": 12, "failed": 1, "poseUncertain": 0,
                        "poseMirrorUncertain": 0, "flagged": 0])
        var expectedClasses = Dictionary(uniqueKeysWithValues: classes.map { ($0, 0) })
        for record in records.values {
            if let label = record.classification?.label { expectedClasses[label]? += 1 }
        }
        XCTAssertEqual(summary["classes"] as? [String: Int], expectedClasses)
        let confidences = records.values.compactMap {
            $0.classification.map { $0.probabilities[$0.label] ?? 0 }
        }
        let confidence = try XCTUnwrap(summary["confidence"] as? [String: Double])
        XCTAssertEqual(confidence["mean"] ?? 0, confidences.reduce(0, +) / 12, accuracy: 1e-12)
        XCTAssertEqual(confidence["min"] ?? -1, confidences.min() ?? 0, accuracy: 1e-12)
        XCTAssertTrue(summary["areas"] is NSNull)
        XCTAssertTrue(summary["poses"] is NSNull)
        XCTAssertEqual(Set((summary["timing"] as? [String: Any])?.keys ?? [:].keys),
                       ["0 LoadImage", "1 Classify", "orbit", "case"])
        XCTAssertEqual((summary["orbit"] as? [String: Any])?["consistent"] as? Int, 12)
        let provenance = try XCTUnwrap(summary["provenance"] as? [String: Any])
        XCTAssertEqual((provenance["pipeline"] as? [String: Any])?["name"] as? String,
                       "classify-cells")
        XCTAssertEqual((provenance["models"] as? [[String: Any]])?.first?["name"] as? String,
                       "bccd-cells")

        let page = try HTMLDocument(try report(out, "report.html"))
        let entries = try caseEntries(page)
        XCTAssertEqual(entries.map { $0["id"] as? String }, records.keys.sorted())
        for (index, entry) in entries.enumerated() {
            let id = entry["id"] as? String ?? ""
            XCTAssertNil(page.element(id: "overlay-\(index)"), "a classifier has no overlay")
            guard records[id]?.status == .ok else {
                XCTAssertNil(page.element(id: "scan-\(index)"))
                XCTAssertNotNil(page.element(id: "notes-\(index)"))
                continue
            }
            let block = try XCTUnwrap(page.element(id: "scan-\(index)"), id)
            let png = try XCTUnwrap(Data(base64Encoded: block.text), id)
            let picture = try ImageDecoder.decode(bytes: [UInt8](png), name: id)
            XCTAssertEqual([picture.width, picture.height, picture.channels], [64, 64, 3], id)
        }
    }

    /// The orbit check of the D4-invariant classifier: every one of the eight elements gives
    /// the untransformed label, with probabilities equal to float rounding.
    func testOrbitOfTheInvariantClassifierIsConsistent() throws {
        let folder = temporaryFolder()
        let input = try sampleCells(in: folder + "/in")
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"),
                                        "-i", input, "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let names = ["r0", "r1", "r2", "r3", "r0m", "r1m", "r2m", "r3m"]
        for (id, record) in try caseRecords(out) {
            let orbit = try XCTUnwrap(record.orbit, id)
            XCTAssertTrue(orbit.consistent, id)
            XCTAssertEqual(orbit.stages.count, 1)
            let stage = orbit.stages[0]
            XCTAssertEqual(stage.stage, "1 Classify")
            XCTAssertEqual(stage.group, "D4")
            XCTAssertEqual(stage.labels, Dictionary(uniqueKeysWithValues: names.map {
                ($0, record.classification?.label ?? "?")
            }), id)
            // Tolerance: probabilities of an exactly invariant network, computed on turned
            // copies of the input, differ by float32 rounding only.
            XCTAssertLessThan(stage.probabilitySpread ?? 1, 1e-4, id)
            XCTAssertNil(stage.dice)
        }
    }

    func testEMSegmentationReportsAreasAndOverlays() throws {
        let folder = temporaryFolder()
        let out = folder + "/out"
        let input = CLIRunner.packageRoot.path + "/samples/em"
        let result = try CLIRunner.run(["run", "-p", Self.pipeline("segment-em.json"),
                                        "-i", input, "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let records = try self.caseRecords(out)
        XCTAssertEqual(records.keys.sorted(), ["00", "04"])
        let rows = CSVReader.rows(try report(out, "predictions.csv"))
        XCTAssertEqual(rows.first, ["case", "status", "label", "confidence", "poseRotation",
                                    "poseMirrored", "poseConfidence", "poseUncertain",
                                    "poseMirrorUncertain", "area_px_cell", "area_mm2_cell",
                                    "area_px_membrane", "area_mm2_membrane", "seconds", "error"])
        for row in rows.dropFirst() {
            let areas = try XCTUnwrap(records[row[0]]?.segmentation?.areasPx)
            XCTAssertEqual(row[9], areas["cell"].map(String.init))
            XCTAssertEqual(row[11], areas["membrane"].map(String.init))
            // The slices record no pixel size: no mm².
            XCTAssertEqual([row[10], row[12]], ["", ""])
        }
        let summary = try summaryObject(out)
        let px = try XCTUnwrap((summary["areas"] as? [String: Any])?["px"]
                               as? [String: [String: Double]])
        let membrane = records.values.compactMap { $0.segmentation?.areasPx["membrane"] }
            .map(Double.init)
        XCTAssertEqual(px["membrane"]?["mean"] ?? 0, membrane.reduce(0, +) / 2, accuracy: 1e-9)
        XCTAssertEqual(px["membrane"]?["median"] ?? 0, membrane.reduce(0, +) / 2,
                       accuracy: 1e-9)
        XCTAssertEqual(px["membrane"]?["min"], membrane.min())
        XCTAssertTrue((summary["areas"] as? [String: Any])?["mm2"] is NSNull)

        let page = try HTMLDocument(try report(out, "report.html"))
        for (index, entry) in try caseEntries(page).enumerated() {
            let id = entry["id"] as? String ?? ""
            let scan = try ImageDecoder.decode(
                bytes: [UInt8](try XCTUnwrap(Data(base64Encoded: page.element(id: "scan-\(index)")?
                    .text ?? ""))), name: id)
            // 512 × 512 gray slices shrink to the default 96 pixels.
            XCTAssertEqual([scan.width, scan.height, scan.channels], [96, 96, 1], id)
            let overlay = try ImageDecoder.decode(
                bytes: [UInt8](try XCTUnwrap(Data(base64Encoded: page.element(id:
                    "overlay-\(index)")?.text ?? ""))), name: id)
            XCTAssertEqual([overlay.width, overlay.height, overlay.channels], [96, 96, 4], id)
            // The layer: the saved mask (128 × 128) at 96 × 96 by nearest neighbour, membrane
            // (label 1) in the first overlay colour at half opacity, the rest clear.
            let saved = try ImageDecoder.decode(path: out + "/" + id + "_mask.png")
            guard case .uint8(let labels) = saved.samples,
                  case .uint8(let rgba) = overlay.samples else { return XCTFail("8-bit") }
            let expected = LabelMap(width: saved.width, height: saved.height,
                                    values: labels.map(Int32.init))
                .resizedNearest(width: 96, height: 96).values
            for (pixel, label) in expected.enumerated() {
                let shown = Array(rgba[(pixel * 4)..<(pixel * 4 + 4)])
                XCTAssertEqual(shown, label == 0 ? [0, 0, 0, 0] : [230, 25, 75, 128],
                               "\(id) pixel \(pixel)")
                if shown != (label == 0 ? [0, 0, 0, 0] : [230, 25, 75, 128]) { break }
            }
            XCTAssertTrue(expected.contains(1), id)
        }
    }

    func testReportCommandWritesTheSameFilesAgainFromTheFolder() throws {
        let folder = temporaryFolder()
        let input = try sampleCells(in: folder + "/in", extra: ["corrupt.png": Self.corrupt])
        let out = folder + "/out"
        _ = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"), "-i", input,
                               "-o", out])
        let names = ["predictions.csv", "failures.csv", "summary.json", "report.html"]
        let written = try names.map { try report(out, $0) }
        try FileManager.default.removeItem(atPath: out + "/reports")
        let again = try CLIRunner.run(["report", out])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("reports of 13 cases (1 failed)"), again.stdout)
        XCTAssertEqual(try names.map { try report(out, $0) }, written)

        let missing = try CLIRunner.run(["report", folder + "/in"])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains(folder + "/in/run.json: missing"), missing.stderr)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: out + "/run.json"))
        let invalid = try CLIRunner.run(["report", out])
        XCTAssertEqual(invalid.status, 65, invalid.stderr)
    }

    /// A moved or changed input loses its picture, with a note saying why; the rest of the
    /// report is unchanged.
    func testChangedInputsGetNotesInsteadOfPictures() throws {
        let folder = temporaryFolder()
        let input = try sampleCells(in: folder + "/in")
        let out = folder + "/out"
        _ = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"), "-i", input,
                               "-o", out])
        let changed = input + "/RBC/BloodImage_00000_03.png"
        try FileManager.default.copyItem(atPath: input + "/WBC/BloodImage_00000_00.png",
                                         toPath: changed + ".other")
        try FileManager.default.removeItem(atPath: changed)
        try FileManager.default.moveItem(atPath: changed + ".other", toPath: changed)
        try FileManager.default.removeItem(atPath: input + "/WBC/BloodImage_00000_00.png")
        let result = try CLIRunner.run(["report", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let page = try HTMLDocument(try report(out, "report.html"))
        let entries = try caseEntries(page)
        let notes: [String: String] = Dictionary(uniqueKeysWithValues: entries.enumerated()
            .compactMap { index, entry in
                page.element(id: "notes-\(index)").map { (entry["id"] as? String ?? "", $0.text) }
            })
        XCTAssertEqual(Set(notes.keys), ["RBC/BloodImage_00000_03", "WBC/BloodImage_00000_00"])
        XCTAssertTrue(notes["RBC/BloodImage_00000_03"]?.contains("has changed since the run")
                      ?? false)
        XCTAssertTrue(notes["WBC/BloodImage_00000_00"]?.contains("cannot be read here") ?? false)
        XCTAssertEqual(page.elements.filter { $0.attributes["id"]?.hasPrefix("scan-") ?? false }
                        .count, 10)
    }

    func testMergedShardsGetTheReportsOfAllCases() throws {
        let folder = temporaryFolder()
        let input = try sampleCells(in: folder + "/in")
        for shard in 0..<2 {
            let result = try CLIRunner.run(["run", "-p", Self.pipeline("classify-cells.json"),
                                            "-i", input, "-o", folder + "/shard\(shard)",
                                            "--shard", "\(shard)/2"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let merged = try CLIRunner.run(["merge", folder + "/shard0", folder + "/shard1", "-o",
                                        folder + "/all"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let shardRows = try (0..<2).map {
            CSVReader.rows(try report(folder + "/shard\($0)", "predictions.csv")).count - 1
        }
        let rows = CSVReader.rows(try report(folder + "/all", "predictions.csv"))
        XCTAssertEqual(rows.count - 1, 12)
        XCTAssertEqual(shardRows.reduce(0, +), 12)
        XCTAssertEqual(try caseRecords(folder + "/all").keys.sorted(),
                       rows.dropFirst().map { $0[0] })
    }
}
