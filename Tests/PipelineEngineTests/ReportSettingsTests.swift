import Foundation
import PipelineEngine
import Reports
import XCTest

/// The `report` member of pipeline files: settings read with their defaults, which of them
/// key resumed work, and the deprecated `outputs.formats`.
final class ReportSettingsTests: XCTestCase {
    func plan(report: String?, outputs: String? = nil) throws -> PipelinePlan {
        var text = """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Classify", "model": "../samples/models/bccd-cells"}
            ]
            """
        if let outputs { text += ", \"outputs\": " + outputs }
        if let report { text += ", \"report\": " + report }
        let result = PipelineValidation.validate(
            text: text + "}", file: "p.json", baseFolder: PipelineValidationTests.pipelinesFolder)
        XCTAssertEqual(result.problems.map(\.description), [])
        return try XCTUnwrap(result.plan)
    }

    func testSettingsAreReadWithTheirDefaults() throws {
        XCTAssertEqual(try plan(report: nil).spec.report, .defaults)
        XCTAssertEqual(try plan(report: "{}").spec.report, .defaults)
        let settings = try plan(report: """
            {"orbitCheck": true, "orbitMinDice": 0.8, "thumbnailSize": 48}
            """).spec.report
        XCTAssertEqual(settings, ReportSettings(orbitCheck: true, orbitMinDice: 0.8,
                                                thumbnailSize: 48))
    }

    /// Only the orbit check changes what a case's record holds, so only it keys resumed work.
    func testOnlyTheOrbitSettingsChangeThePipelineHash() throws {
        let plain = try plan(report: nil).contentHash
        XCTAssertEqual(try plan(report: "{\"thumbnailSize\": 64}").contentHash, plain)
        XCTAssertEqual(try plan(report: "{\"orbitCheck\": false}").contentHash, plain)
        let orbit = try plan(report: "{\"orbitCheck\": true}").contentHash
        XCTAssertNotEqual(orbit, plain)
        XCTAssertEqual(try plan(report: "{\"orbitCheck\": true, \"orbitMinDice\": 0.95}")
                        .contentHash, orbit, "0.95 is the default")
        XCTAssertNotEqual(try plan(report: "{\"orbitCheck\": true, \"orbitMinDice\": 0.5}")
                            .contentHash, orbit)
    }

    func testFormatsIsValidButNotedAsDeprecated() throws {
        let text = """
            {"version": 1, "name": "t", "stages": [{"op": "LoadImage"}],
             "outputs": {"formats": ["json", "csv"]}}
            """
        let result = PipelineValidation.validate(text: text, file: "p.json", baseFolder: ".")
        XCTAssertEqual(result.problems.map(\.description), [])
        XCTAssertEqual(result.notices.map(\.description), [
            "p.json:2:25 /outputs/formats is deprecated and ignored: every run writes its "
                + "records as JSON and reports/predictions.csv; remove the key",
        ])
        let clean = PipelineValidation.validate(
            text: "{\"version\": 1, \"name\": \"t\", \"stages\": [{\"op\": \"LoadImage\"}]}",
            file: "p.json", baseFolder: ".")
        XCTAssertEqual(clean.notices.count, 0)
    }
}
