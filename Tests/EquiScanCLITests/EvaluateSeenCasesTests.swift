import Foundation
import XCTest
import _TestSupport

/// `equiscan evaluate` refuses to report on cases the model trained or validated on.
final class EvaluateSeenCasesTests: XCTestCase {
    /// Trains the tiny two-class model of `TrainCommandTests` with a test part of 2 scans per
    /// class; returns the data folder and the package.
    func trainWithTestPart(in root: URL) throws -> (data: String, model: String) {
        try TrainCommandTests.makeSet(at: root.appendingPathComponent("data"))
        let config = try TrainCommandTests.writeConfig(
            in: root, name: "cli-seen",
            data: #"{"train": "data", "validationFraction": 0.34, "testFraction": 0.34}"#)
        let model = root.appendingPathComponent("model").path
        let train = try CLIRunner.run(["train", config.path, "--output", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("validating on 4 (4 test cases listed, not read)"),
                      train.stdout)
        return (root.appendingPathComponent("data").path, model)
    }

    /// Copies the listed files (relative to `root`, the data root) into `folder`, keeping
    /// class folders and renaming each file, so that only their content can identify them.
    func copy(_ listed: [String], from root: URL, to folder: String) throws {
        for (i, path) in listed.enumerated() {
            let parts = path.split(separator: "/")
            let destination = "\(folder)/\(parts[parts.count - 2])/renamed-\(i).png"
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(root.path)/\(path)", toPath: destination)
        }
    }

    func listed(_ model: String, _ part: String) throws -> [String] {
        try String(contentsOfFile: "\(model)/\(part)-cases.txt", encoding: .utf8)
            .split(separator: "\n").map { line in
                // "<sha256>  <path>" or a bare path (test cases).
                line.count > 66 && line.dropFirst(64).hasPrefix("  ")
                    ? String(line.dropFirst(66)) : String(line)
            }
    }

    func testSeenCasesAreRefusedEvenRenamedAndAcceptedWithAllowSeen() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-cli-seen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let (data, model) = try trainWithTestPart(in: root)

        // The whole data folder holds training cases: refused, naming model, file and list.
        let all = try CLIRunner.run(["evaluate", model, data, "--json"])
        XCTAssertEqual(all.status, 65, all.stderr)
        XCTAssertEqual(all.stdout, "")
        XCTAssertTrue(all.stderr.contains("case of model cli-seen"), all.stderr)
        XCTAssertTrue(all.stderr.contains("--allow-seen"), all.stderr)
        XCTAssertTrue(all.stderr.contains("\(model)/training-cases.txt")
                      || all.stderr.contains("\(model)/validation-cases.txt"), all.stderr)

        // Validation scans copied under other names are still recognised by their SHA-256.
        let validation = root.appendingPathComponent("renamed").path
        let validationFiles = try listed(model, "validation")
        XCTAssertEqual(validationFiles.count, 4)
        try copy(validationFiles, from: root, to: validation)
        let renamed = try CLIRunner.run(["evaluate", model, validation])
        XCTAssertEqual(renamed.status, 65, renamed.stderr)
        XCTAssertTrue(renamed.stderr.contains("is a validation case of model cli-seen"),
                      renamed.stderr)
        XCTAssertTrue(renamed.stderr.contains("same SHA-256"), renamed.stderr)

        // --allow-seen reports, says so on stderr and lists the seen cases in the JSON.
        let allowed = try CLIRunner.run(["evaluate", model, validation, "--json",
                                         "--allow-seen"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stderr.contains("not a test result"), allowed.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(allowed.stdout.utf8)) as? [String: Any])
        let seen = try XCTUnwrap(object["seenCases"] as? [[String: Any]])
        XCTAssertEqual(seen.count, 4)
        XCTAssertEqual(Set(seen.compactMap { $0["part"] as? String }), ["validation"])

        // The test cases were never seen: evaluated without complaint.
        let test = root.appendingPathComponent("test").path
        let testFiles = try listed(model, "test")
        XCTAssertEqual(testFiles.count, 4)
        try copy(testFiles, from: root, to: test)
        let clean = try CLIRunner.run(["evaluate", model, test, "--json"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertFalse(clean.stderr.contains("not a test result"), clean.stderr)
        let cleanObject = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(clean.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((cleanObject["seenCases"] as? [Any])?.count, 0)
        XCTAssertEqual(cleanObject["cases"] as? Int, 4)
        let intervals = try XCTUnwrap(cleanObject["confidenceIntervals"] as? [String: Any])
        let accuracy = try XCTUnwrap(intervals["accuracy"] as? [String: Double])
        XCTAssertLessThanOrEqual(try XCTUnwrap(accuracy["low"]), try XCTUnwrap(accuracy["high"]))
        let bootstrap = try XCTUnwrap(cleanObject["bootstrap"] as? [String: Any])
        XCTAssertEqual(bootstrap["resamples"] as? Int, 1000)
        XCTAssertEqual(bootstrap["unit"] as? String, "case")
        let none = try CLIRunner.run(["evaluate", model, test, "--resamples", "0"])
        XCTAssertEqual(none.status, 64, none.stderr)
    }
}
