import Foundation
import Synchronization
import XCTest
import _TestSupport

/// Pins the exit status of every command for each outcome in README's table (0 done, 2 some
/// cases failed, 64 usage, 65 invalid data, 66 missing input, 75 temporary failure), and
/// checks that what reaches the terminal is ours: one `equiscan:` line per error, never a Swift
/// or Foundation description.
final class ExitStatusTests: XCTestCase {
    /// Text that only a Swift or Foundation error description contains.
    static let leaks = ["Error Domain", "Debug description", "DecodingError",
                        "NSCocoaErrorDomain", "Swift.", "CocoaError", "underlyingError"]

    /// A temporary folder holding a tiny classification set (`data/`), its config and the
    /// model package trained from it (`model/`), made once for the class.
    static var root: URL? { fixtureRoot.withLock { $0 } }

    /// Storage of `root`: written by the class set-up and tear-down, read by the tests.
    private static let fixtureRoot = Mutex<URL?>(nil)

    override class func setUp() {
        super.setUp()
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-exit-\(UUID().uuidString)")
        do {
            try TrainCommandTests.makeSet(at: folder.appendingPathComponent("data"))
            try config(batchSize: "4").write(to: folder.appendingPathComponent("config.json"),
                                             atomically: true, encoding: .utf8)
            fixtureRoot.withLock { $0 = folder }
        } catch {
            XCTFail("cannot write the fixture set: \(error)")
        }
    }

    override class func tearDown() {
        if let root { try? FileManager.default.removeItem(at: root) }
        super.tearDown()
    }

    static func config(batchSize: String, data: String = "data") -> String {
        """
        {"name": "exit-tiny", "task": "classification", "seed": 1,
         "data": {"train": "\(data)", "validationFraction": 0.34},
         "input": {"width": 8, "height": 8, "channels": 1, "normalization": "none"},
         "model": {"kind": "p4cnn", "group": "C4", "width": 2, "depth": 1},
         "training": {"epochs": 1, "batchSize": \(batchSize),
                      "optimizer": {"kind": "sgd", "learningRate": 0.01}}}
        """
    }

    private func path(_ name: String) throws -> String {
        try XCTUnwrap(Self.root).appendingPathComponent(name).path
    }

    /// A fresh folder under the fixture root.
    private func scratch() throws -> URL {
        let url = try XCTUnwrap(Self.root).appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The trained model package (trained on first use).
    private func model() throws -> String {
        let output = try path("model")
        if !FileManager.default.fileExists(atPath: output) {
            let train = try CLIRunner.run(["train", try path("config.json"), "--output", output])
            XCTAssertEqual(train.status, 0, train.stderr)
        }
        return output
    }

    /// Runs `arguments`, checks the status and that the output leaks nothing; for our own
    /// errors (not swift-argument-parser's usage text) every stderr line is one `equiscan:`
    /// line.
    @discardableResult
    private func expect(_ status: Int32, _ arguments: [String], file: StaticString = #filePath,
                        line: UInt = #line) throws -> CLIResult {
        let result = try CLIRunner.run(arguments, file: file, line: line)
        XCTAssertEqual(result.status, status,
                       "\(arguments.joined(separator: " ")): \(result.stderr)",
                       file: file, line: line)
        Self.assertNoLeaks(result, arguments, file: file, line: line)
        return result
    }

    static func assertNoLeaks(_ result: CLIResult, _ arguments: [String],
                              file: StaticString = #filePath, line: UInt = #line) {
        for text in [result.stdout, result.stderr] {
            for leak in leaks where text.contains(leak) {
                XCTFail("\(arguments.joined(separator: " ")) printed \"\(leak)\": \(text)",
                        file: file, line: line)
            }
        }
        guard result.status != 64 else { return }
        for errorLine in result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast() where !errorLine.hasPrefix("equiscan: ") {
            XCTFail("\(arguments.joined(separator: " ")): stderr line not ours: \(errorLine)",
                    file: file, line: line)
        }
    }

    // MARK: - inspect

    func testInspect() throws {
        let good = CLIRunner.sample("mr_small_64.png")
        let notImage = Fixtures.path("conformance/README.md")
        try expect(0, ["inspect", good])
        try expect(2, ["inspect", good, notImage])
        try expect(2, ["inspect", "--json", "/nonexistent/a.png", good])
        try expect(64, ["inspect"])
        try expect(64, ["inspect", "--page", "-1", good])
        try expect(65, ["inspect", notImage])
        try expect(66, ["inspect", "/nonexistent/a.png"])
        try expect(66, ["inspect", "/nonexistent/a.png", "/nonexistent/b.png"])
    }

    /// A TIFF cut short names the strip and its rows, not libtiff's unset scanline counter.
    func testTruncatedTIFFNamesRows() throws {
        let cut = try scratch().appendingPathComponent("cut.tif")
        try Self.truncatedTIFF().write(to: cut)
        let result = try expect(65, ["inspect", cut.path])
        XCTAssertFalse(result.stderr.contains("4294967295"), result.stderr)
        XCTAssertTrue(result.stderr.contains("strip 0 (rows 0 to 15)"), result.stderr)
    }

    /// A 16x16 8-bit gray TIFF, one uncompressed strip, directory first (as scanners write
    /// it), whose strip stops after 100 of its 256 bytes.
    static func truncatedTIFF() -> Data {
        func short(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func long(_ v: Int) -> [UInt8] { short(v & 0xFFFF) + short(v >> 16) }
        let entries: [(tag: Int, type: Int, value: Int)] = [
            (256, 3, 16), (257, 3, 16), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 8 + 2 + 9 * 12 + 4), (277, 3, 1), (278, 3, 16), (279, 4, 256),
        ]
        var bytes: [UInt8] = [0x49, 0x49, 42, 0] + long(8) + short(entries.count)
        for entry in entries {
            bytes += short(entry.tag) + short(entry.type) + long(1)
            bytes += entry.type == 3 ? short(entry.value) + [0, 0] : long(entry.value)
        }
        bytes += long(0)
        bytes += (0..<100).map { UInt8($0) }
        return Data(bytes)
    }

    // MARK: - convert

    func testConvert() throws {
        let folder = try scratch()
        let good = CLIRunner.sample("mr_small_64.png")
        try expect(0, ["convert", good, folder.appendingPathComponent("a.tif").path])
        try expect(64, ["convert", good, folder.appendingPathComponent("a.bmp").path])
        try expect(64, ["convert", good])
        try expect(65, ["convert", Fixtures.path("conformance/README.md"),
                        folder.appendingPathComponent("b.png").path])
        try expect(66, ["convert", "/nonexistent/a.png",
                        folder.appendingPathComponent("c.png").path])
    }

    // MARK: - evaluate

    func testEvaluate() throws {
        let model = try model()
        let data = try path("data")
        // The model trained on `data`: refused as a test set unless asked for.
        try expect(65, ["evaluate", model, data])
        try expect(0, ["evaluate", model, data, "--allow-seen"])
        try expect(64, ["evaluate", model])
        try expect(66, ["evaluate", model, "/nonexistent/data"])
        try expect(66, ["evaluate", "/nonexistent/model", data])
    }

    func testEvaluateMissingDataSaysSo() throws {
        let result = try expect(66, ["evaluate", try model(), "/nonexistent/data"])
        XCTAssertEqual(result.stderr, "equiscan: /nonexistent/data: no such data folder or "
                       + "file; DATA must be a labelled folder (or a path,label CSV for "
                       + "classifiers)\n")
    }

    func testEvaluateWeightsFileAsModelSaysWhatAModelIs() throws {
        let weights = try model() + "/weights.safetensors"
        let result = try expect(65, ["evaluate", weights, try path("data")])
        XCTAssertTrue(result.stderr.contains("is a weights file, not a model package"),
                      result.stderr)
        XCTAssertFalse(result.stderr.contains("metadata.json:"), result.stderr)
    }

    /// One unreadable scan: reported, left out, and the rest evaluated (exit 2). The scans
    /// are the model's own (`--allow-seen`): only the exit status matters here.
    func testEvaluateWithABadCaseExits2() throws {
        let model = try model()
        let data = try scratch().appendingPathComponent("data")
        try FileManager.default.copyItem(atPath: try path("data"), toPath: data.path)
        let bad = data.appendingPathComponent("dark/broken.png")
        try Data("not a png".utf8).write(to: bad)
        let result = try expect(2, ["evaluate", model, data.path, "--json", "--allow-seen"])
        XCTAssertTrue(result.stderr.hasPrefix("equiscan: \(bad.path)"), result.stderr)
        let object = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["cases"] as? Int, 12)
        let failures = try XCTUnwrap(object["failures"] as? [[String: Any]])
        XCTAssertEqual(failures.map { $0["file"] as? String }, [bad.path])
        try expect(2, ["evaluate", model, data.path, "--allow-seen"])
    }

    /// Text output: class names label the confusion matrix; a metric that is undefined shows
    /// "-" (text) and null (JSON), never 0. The scans are the model's own (`--allow-seen`).
    func testEvaluateShowsClassNamesAndUndefinedMetrics() throws {
        let model = try model()
        let data = try scratch().appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        // Only one class present: ROC AUC has no negatives and is undefined.
        try FileManager.default.copyItem(atPath: try path("data") + "/dark",
                                         toPath: data.appendingPathComponent("dark").path)
        let text = try expect(0, ["evaluate", model, data.path, "--allow-seen"])
        let confusion = text.stdout.components(separatedBy: "confusion")
        XCTAssertEqual(confusion.count, 2, text.stdout)
        let header = confusion.last?.split(separator: "\n").dropFirst().first ?? ""
        XCTAssertTrue(header.contains("dark") && header.contains("bright"), text.stdout)
        let auc = text.stdout.split(separator: "\n").first { $0.hasPrefix("macroRocAUC") }
        // As given, its confidence interval, and the group average.
        XCTAssertEqual(auc?.split(separator: " ").dropFirst().map(String.init), ["-", "-", "-"],
                       text.stdout)
        let json = try expect(0, ["evaluate", model, data.path, "--json", "--allow-seen"])
        let object = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let metrics = try XCTUnwrap(object["metrics"] as? [String: Any])
        XCTAssertTrue(metrics["macroRocAUC"] is NSNull, "\(metrics)")
    }

    // MARK: - train

    func testTrainValidateOnly() throws {
        let config = try path("config.json")
        let result = try expect(0, ["train", config, "--validate-only"])
        XCTAssertTrue(result.stdout.contains("valid classification config"), result.stdout)
        try expect(64, ["train", config, "--threads", "0"])
        try expect(64, ["train"])
        try expect(66, ["train", try path("none.json"), "--validate-only"])
    }

    func testTrainValidateOnlyChecksDataPaths() throws {
        let folder = try scratch()
        let config = folder.appendingPathComponent("c.json")
        try Self.config(batchSize: "4", data: "missing-data")
            .write(to: config, atomically: true, encoding: .utf8)
        let result = try expect(66, ["train", config.path, "--validate-only"])
        XCTAssertTrue(result.stderr.contains(folder.appendingPathComponent("missing-data").path),
                      result.stderr)
    }

    func testTrainRefusesNullBatchSize() throws {
        let folder = try scratch()
        let config = folder.appendingPathComponent("c.json")
        try Self.config(batchSize: "null").write(to: config, atomically: true, encoding: .utf8)
        try expect(65, ["train", config.path, "--validate-only",
                        "--data-root", try XCTUnwrap(Self.root).path])
    }

    /// A set with an unreadable scan: exit 65 and nothing written, not even an empty folder.
    func testTrainOnBadDataCreatesNothing() throws {
        let folder = try scratch()
        try FileManager.default.copyItem(atPath: try path("data"),
                                         toPath: folder.appendingPathComponent("data").path)
        try Data("not a png".utf8)
            .write(to: folder.appendingPathComponent("data/bright/broken.png"))
        let config = folder.appendingPathComponent("c.json")
        try Self.config(batchSize: "4").write(to: config, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("out").path
        try expect(65, ["train", config.path, "--output", output])
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(output) was created")
        // Good data, but nothing to resume from: 66, and again no folder.
        try expect(66, ["train", try path("config.json"), "--output", output, "--resume"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(output) was created")
    }

    // MARK: - canonicalize

    func testCanonicalize() throws {
        let model = CLIRunner.packageRoot.appendingPathComponent("samples/models/orientation-d4")
            .path
        let scan = CLIRunner.sample("mr_small_64.png")
        try expect(0, ["canonicalize", "-m", model, scan])
        try expect(64, ["canonicalize", "-m", model])
        try expect(64, ["canonicalize", scan])
        try expect(65, ["canonicalize", "-m", model, Fixtures.path("conformance/README.md")])
        try expect(66, ["canonicalize", "-m", "/nonexistent/model", scan])
    }

    // MARK: - bench, help, version

    func testBenchUsageErrors() throws {
        try expect(64, ["bench", "nosuch"])
        try expect(64, ["bench", "decode", "--no-such-flag"])
    }

    func testHelpAndVersion() throws {
        try expect(0, ["help"])
        try expect(0, ["help", "inspect"])
        try expect(0, ["--help"])
        let unknown = try expect(64, ["help", "nosuch"])
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("nosuch"), unknown.stderr)
        let version = try expect(0, ["--version"])
        XCTAssertTrue(version.stdout.hasPrefix("0."), version.stdout)
        try expect(64, ["nosuch"])
    }
}
