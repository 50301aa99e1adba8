import Foundation
import Reports
import XCTest
import _TestSupport

/// `ReportBuilder` over a hand-written output folder: the four files, what they say about the
/// records, escaping of hostile case ids, and the same bytes every time.
final class ReportBuilderTests: XCTestCase {
    /// Stand-in picture bytes: the tests check they are embedded unchanged.
    static let scanBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
    static let overlayBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 9, 8]

    func build(_ folder: String) throws -> ReportOutcome {
        try ReportBuilder(outputFolder: folder, manifest: ReportFixtures.manifest,
                          settings: ReportFixtures.settings, attempts: ["b/broken": 3])
            .write { record in
                switch record.status {
                case .failed: return CasePictures(notes: ["no picture: cannot be decoded"])
                case .ok:
                    return CasePictures(scan: Self.scanBytes,
                                        overlay: record.case == "a/one" ? Self.overlayBytes : nil)
                }
            }
    }

    func text(_ folder: String, _ name: String) throws -> String {
        try String(contentsOfFile: folder + "/reports/" + name, encoding: .utf8)
    }

    func testPredictionsAndFailuresTables() throws {
        let folder = temporaryFolder()
        try ReportFixtures.outputFolder(in: folder)
        let outcome = try build(folder)
        XCTAssertEqual(outcome.cases, 3)
        XCTAssertEqual(outcome.failed, 1)
        XCTAssertEqual(outcome.flagged, 1)
        let rows = CSVReader.rows(try text(folder, "predictions.csv"))
        XCTAssertEqual(rows.first, [
            "case", "status", "label", "confidence", "p_A", "p_B", "p_C", "poseRotation",
            "poseMirrored", "poseConfidence", "poseUncertain", "poseMirrorUncertain",
            "area_px_background",
            "area_mm2_background", "area_px_cell", "area_mm2_cell", "seconds", "error",
            "orbitConsistent", "orbitProbabilitySpread", "orbitMinDice",
        ])
        // Case-id order: "=cmd…" < "a/one" < "b/broken".
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows[1], [
            "'=cmd|' <img src=x onerror=alert(1)>", "ok", "A", "0.600000", "0.600000",
            "0.300000", "0.100000", "0", "true", "0.100000", "true", "false", "70", "0.7000",
            "30", "0.3000", "0.850000", "", "false", "", "0.500000",
        ])
        XCTAssertEqual(rows[2], [
            "a/one", "ok", "A", "0.900000", "0.900000", "0.060000", "0.040000", "1", "false",
            "0.800000", "false", "true", "90", "", "10", "", "0.800000", "", "true", "0.010000",
            "",
        ])
        XCTAssertEqual(rows[3], [
            "b/broken", "failed", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
            "0.000000", "0 LoadImage: in/b/broken.png: not a PNG, \"x\"", "", "", "",
        ])
        XCTAssertEqual(CSVReader.rows(try text(folder, "failures.csv")), [
            ["case", "stage", "error", "attempts"],
            ["b/broken", "0 LoadImage", "in/b/broken.png: not a PNG, \"x\"", "3"],
        ])
    }

    func testSummaryJSONIsTheSummaryOfTheRecords() throws {
        let folder = temporaryFolder()
        try ReportFixtures.outputFolder(in: folder)
        _ = try build(folder)
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/reports/summary.json"))
        var builder = SummaryBuilder(manifest: ReportFixtures.manifest,
                                     settings: ReportFixtures.settings)
        ReportFixtures.records.forEach { builder.add($0) }
        XCTAssertEqual(try JSONDecoder().decode(ReportSummary.self, from: data), builder.summary())
    }

    func testPageIsWellFormedSelfContainedAndEscapesEveryText() throws {
        let folder = temporaryFolder()
        try ReportFixtures.outputFolder(in: folder)
        _ = try build(folder)
        let html = try text(folder, "report.html")
        let page = try HTMLDocument(html)
        let policy = page.elements(named: "meta").first {
            $0.attributes["http-equiv"] == "Content-Security-Policy"
        }
        XCTAssertEqual(policy?.attributes["content"], "default-src 'none'; img-src data:; "
                       + "style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                       + "base-uri 'none'; form-action 'none'")
        // Nothing outside the page is named: no src or href but data: URLs (the SVG
        // namespace is a name, not a fetch).
        for element in page.elements {
            for (name, value) in element.attributes where ["src", "href", "xlink:href",
                                                           "action", "srcset"].contains(name) {
                XCTAssertTrue(value.hasPrefix("data:"), "<\(element.name) \(name)=\(value)>")
            }
        }
        XCTAssertFalse(html.contains("<img src=x"), "a case id reached the page unescaped")
        XCTAssertTrue(html.contains("Research use only — not for clinical use."))
        XCTAssertEqual(page.elements(named: "h1").first?.text, "fixture <pipeline>")
        // The failures table, decoded, says what the record says.
        let cells = page.elements(named: "td").map(\.text)
        XCTAssertTrue(cells.contains("in/b/broken.png: not a PNG, \"x\""), "\(cells)")
        XCTAssertTrue(cells.contains("3"))
        // The case data: one entry per record, in case-id order, with its picture blocks.
        let data = try XCTUnwrap(page.element(id: "case-data")?.text)
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(data.utf8))
                                    as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["id"] as? String },
                       ["=cmd|' <img src=x onerror=alert(1)>", "a/one", "b/broken"])
        XCTAssertEqual(entries.map { $0["flagged"] as? Bool }, [true, false, false])
        XCTAssertEqual(page.element(id: "case-table")?.attributes["data-cases"], "3")
        for index in 0..<2 {
            let block = try XCTUnwrap(page.element(id: "scan-\(index)"), "scan-\(index)")
            XCTAssertEqual(block.attributes["type"], "text/plain")
            XCTAssertEqual(Data(base64Encoded: block.text).map { [UInt8]($0) }, Self.scanBytes)
        }
        XCTAssertNil(page.element(id: "scan-2"))
        XCTAssertEqual(page.element(id: "overlay-1").flatMap { Data(base64Encoded: $0.text) }
                        .map { [UInt8]($0) }, Self.overlayBytes)
        XCTAssertNil(page.element(id: "overlay-0"))
        XCTAssertEqual(page.element(id: "notes-2")?.text, "[\"no picture: cannot be decoded\"]")
        // One chart per part the fixture has: classes, confidence, area of cell, poses, time.
        XCTAssertEqual(page.elements(named: "svg").count, 5)
    }

    func testTheSameFolderGivesTheSameBytes() throws {
        let folder = temporaryFolder()
        try ReportFixtures.outputFolder(in: folder)
        _ = try build(folder)
        let names = ["predictions.csv", "failures.csv", "summary.json", "report.html"]
        let first = try names.map { try text(folder, $0) }
        _ = try build(folder)
        XCTAssertEqual(try names.map { try text(folder, $0) }, first)
    }

    func testRecordsThatCannotBeReadAreLeftOutAndNamed() throws {
        let folder = temporaryFolder()
        try ReportFixtures.outputFolder(in: folder)
        try Data("{\"case\": 1}".utf8).write(to: URL(fileURLWithPath: folder + "/results/x.json"))
        // A write in progress (hidden temporary file) is not a record at all.
        try Data("{".utf8).write(to: URL(fileURLWithPath: folder
                                         + "/results/.y.json.tmp-1-abc.json"))
        let outcome = try build(folder)
        XCTAssertEqual(outcome.unreadable, ["results/x.json"])
        XCTAssertEqual(outcome.cases, 3)
        XCTAssertEqual(CSVReader.rows(try text(folder, "predictions.csv")).count, 4)
        let page = try HTMLDocument(try text(folder, "report.html"))
        XCTAssertTrue(page.elements(named: "li").contains { $0.text == "results/x.json" })
    }
}
