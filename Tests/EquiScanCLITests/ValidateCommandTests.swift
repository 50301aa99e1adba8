import Foundation
import XCTest
import _TestSupport

/// `equiscan validate`: statuses 0, 65 and 66, one `equiscan:` line per problem, the
/// `--json` report, and `--schema`.
final class ValidateCommandTests: XCTestCase {
    static func pipeline(_ name: String) -> String {
        CLIRunner.packageRoot.appendingPathComponent("pipelines/" + name).path
    }

    /// A pipeline with two problems on lines 2 and 3, in a temporary folder.
    func brokenPipeline() throws -> String {
        let path = temporaryFolder(prefix: "validate") + "/broken.json"
        let text = """
            {"version": 1, "name": "t", "stages": [
            {"op": "LoadImage", "colour": "grey"},
            {"op": "Rotate90", "k": 5}
            ]}
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testAValidPipelineExitsZeroWithOneSummaryLine() throws {
        let path = Self.pipeline("classify-cells.json")
        let result = try CLIRunner.run(["validate", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.stdout, "\(path): valid pipeline \"classify-cells\", 2 stages: "
                       + "LoadImage → Classify (models: bccd-cells 2.0.0)\n")
    }

    func testEveryProblemIsOneLineAndTheStatusIs65() throws {
        let path = try brokenPipeline()
        let result = try CLIRunner.run(["validate", path])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr,
                       "equiscan: \(path):2:31 /stages/0/colour expected one of \"keep\", "
                       + "\"gray\", \"rgb\", got \"grey\"\n"
                       + "equiscan: \(path):3:25 /stages/1/k expected a whole number from 0 "
                       + "to 3, got 5\n")
    }

    func testJSONReportListsEveryProblem() throws {
        let path = try brokenPipeline()
        let result = try CLIRunner.run(["validate", path, "--json"])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stderr, "")
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["valid"] as? Bool, false)
        let problems = try XCTUnwrap(object["problems"] as? [[String: Any]])
        XCTAssertEqual(problems.count, 2)
        XCTAssertEqual(problems.first?["file"] as? String, path)
        XCTAssertEqual(problems.first?["line"] as? Int, 2)
        XCTAssertEqual(problems.first?["column"] as? Int, 31)
        XCTAssertEqual(problems.first?["pointer"] as? String, "/stages/0/colour")
        XCTAssertEqual(problems.last?["message"] as? String,
                       "expected a whole number from 0 to 3, got 5")
    }

    func testJSONReportOfAValidPipeline() throws {
        let result = try CLIRunner.run(["validate", Self.pipeline("segment-em.json"), "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["valid"] as? Bool, true)
        XCTAssertEqual((object["problems"] as? [Any])?.count, 0)
    }

    /// A deprecated key is valid: exit 0, with a note in the problems' form on stderr (and
    /// under "notices" with --json).
    func testDeprecatedFormatsGetANote() throws {
        let path = temporaryFolder(prefix: "validate") + "/old.json"
        try """
            {"version": 1, "name": "old", "stages": [{"op": "LoadImage"}],
             "outputs": {"layout": "mirror", "formats": ["json", "csv"]}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["validate", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "equiscan: note: \(path):2:45 /outputs/formats is "
                       + "deprecated and ignored: every run writes its records as JSON and "
                       + "reports/predictions.csv; remove the key\n")
        let json = try CLIRunner.run(["validate", path, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let notices = try XCTUnwrap(object["notices"] as? [[String: Any]])
        XCTAssertEqual(notices.map { $0["pointer"] as? String }, ["/outputs/formats"])
        XCTAssertEqual((object["problems"] as? [Any])?.count, 0)
    }

    func testAMissingFileExits66() throws {
        let path = temporaryFolder(prefix: "validate") + "/none.json"
        let result = try CLIRunner.run(["validate", path])
        XCTAssertEqual(result.status, 66)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "equiscan: \(path): cannot read the pipeline file "
                       + "(check that the path exists and is a readable file)\n")
    }

    func testASyntaxErrorExits65() throws {
        let path = temporaryFolder(prefix: "validate") + "/syntax.json"
        try #"{"version": 1,}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["validate", path])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stderr, "equiscan: \(path):1:14 / trailing comma before '}'\n")
    }

    func testSchemaPrintsTheCommittedSchemaFile() throws {
        let result = try CLIRunner.run(["validate", "--schema"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let committed = try String(contentsOfFile: Self.pipeline("schema.json"), encoding: .utf8)
        XCTAssertTrue(result.stdout == committed,
                      "regenerate with `equiscan validate --schema > pipelines/schema.json`")
    }

    func testPipelineIsRequiredWithoutSchemaAndRefusedWithIt() throws {
        let missing = try CLIRunner.run(["validate"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertTrue(missing.stderr.contains("<pipeline>"), missing.stderr)
        let both = try CLIRunner.run(["validate", "--schema", Self.pipeline("segment-em.json")])
        XCTAssertEqual(both.status, 64)
        XCTAssertEqual(both.stdout, "")
        XCTAssertTrue(both.stderr.contains("--schema takes no PIPELINE"), both.stderr)
    }
}
