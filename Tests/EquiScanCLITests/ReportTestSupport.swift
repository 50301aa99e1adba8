import Foundation
import Reports
import XCTest
import _TestSupport

/// What the report tests share: copying sample scans, reading an output folder's records
/// and reports.
extension XCTestCase {
    /// The twelve sample blood cells copied to `folder/CLASS/NAME.png`, plus any `extra`
    /// files (relative path → bytes); returns the input folder.
    func sampleCells(in folder: String, extra: [String: Data] = [:]) throws -> String {
        let root = CLIRunner.packageRoot.path + "/samples/cells"
        for type in try FileManager.default.contentsOfDirectory(atPath: root) {
            try FileManager.default.createDirectory(atPath: folder + "/" + type,
                                                    withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + type) {
                try FileManager.default.copyItem(atPath: root + "/" + type + "/" + name,
                                                 toPath: folder + "/" + type + "/" + name)
            }
        }
        for (relative, bytes) in extra {
            try bytes.write(to: URL(fileURLWithPath: folder + "/" + relative))
        }
        return folder
    }

    /// Every record under `out/results`, by case id.
    func caseRecords(_ out: String) throws -> [String: CaseRecord] {
        var records: [String: CaseRecord] = [:]
        for id in ReportBuilder.caseIDs(outputFolder: out) {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results/" + id + ".json"))
            records[id] = try JSONDecoder().decode(CaseRecord.self, from: data)
        }
        return records
    }

    /// `out/reports/NAME` as text.
    func report(_ out: String, _ name: String) throws -> String {
        try String(contentsOfFile: out + "/reports/" + name, encoding: .utf8)
    }

    /// `out/reports/summary.json` as a JSON object.
    func summaryObject(_ out: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/reports/summary.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The case entries of `report.html`'s data block.
    func caseEntries(_ page: HTMLDocument) throws -> [[String: Any]] {
        let text = try XCTUnwrap(page.element(id: "case-data")?.text)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8))
                             as? [[String: Any]])
    }
}
