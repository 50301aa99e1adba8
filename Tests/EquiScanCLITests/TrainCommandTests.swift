import Foundation
import XCTest
import _TestSupport

/// Runs `equiscan train` and `equiscan evaluate` as a user would.
final class TrainCommandTests: XCTestCase {
    /// A tiny two-class set of 8x8 gray PNGs ("dark" and "bright").
    static func makeSet(at root: URL) throws {
        for (k, name) in ["dark", "bright"].enumerated() {
            for i in 0..<6 {
                let value = UInt8(k == 0 ? 20 + i * 5 : 200 + i * 5)
                try TestImages.writeGrayPNG(
                    width: 8, height: 8, pixels: (0..<64).map { value &+ UInt8($0 % 7) },
                    to: root.appendingPathComponent("\(name)/\(i).png").path)
            }
        }
    }

    /// Writes `root/config.json` for a tiny classifier of the 8x8 scans of `makeSet`; `data`
    /// is the JSON of its data section.
    static func writeConfig(in root: URL, name: String, seed: Int = 1, group: String = "D4",
                            epochs: Int = 1, data: String) throws -> URL {
        let config = root.appendingPathComponent("config.json")
        try """
        {"name": "\(name)", "task": "classification", "seed": \(seed), "data": \(data),
         "input": {"width": 8, "height": 8, "channels": 1, "normalization": "none"},
         "model": {"kind": "p4cnn", "group": "\(group)", "width": 2, "depth": 1},
         "training": {"epochs": \(epochs), "batchSize": 4,
                      "optimizer": {"kind": "sgd", "learningRate": 0.01}}}
        """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    func testTrainWritesAPackageAndEvaluatePrintsJSON() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-cli-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.makeSet(at: root.appendingPathComponent("data"))
        let config = try Self.writeConfig(
            in: root, name: "cli-tiny", epochs: 2,
            data: #"{"train": "data", "validationFraction": 0.34}"#)
        let output = root.appendingPathComponent("model").path
        let train = try CLIRunner.run(["train", config.path, "--output", output])
        XCTAssertEqual(train.status, 0, train.stderr)
        let lines = train.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("epoch ") }.count, 2, train.stdout)
        XCTAssertTrue(train.stdout.contains("model package written to \(output)"), train.stdout)
        // The config travels with the weights, byte for byte.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output
                                                + "/training-config.json")),
                       try Data(contentsOf: config))

        let evaluate = try CLIRunner.run(["evaluate", output,
                                          root.appendingPathComponent("data").path, "--json",
                                          "--allow-seen"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8))
            as? [String: Any]
        for key in ["task", "metrics", "perClass", "group", "groupAverage", "orbitConsistency",
                    "cases"] {
            XCTAssertNotNil(object?[key], "missing key \(key) in \(evaluate.stdout)")
        }
        XCTAssertEqual(object?["group"] as? String, "D4")
        XCTAssertEqual(object?["cases"] as? Int, 12)

        // A fresh run into the finished package is refused (64) and leaves it intact.
        let weights = try Data(contentsOf: URL(fileURLWithPath: output + "/weights.safetensors"))
        let again = try CLIRunner.run(["train", config.path, "--output", output])
        XCTAssertEqual(again.status, 64, again.stderr)
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output + "/weights.safetensors")),
                       weights)
    }

    /// The code revision comes from `EQUISCAN_CODE_REVISION` (set by `make models`), into
    /// metadata.json beside the thread count.
    func testTrainRecordsTheCodeRevisionOfTheEnvironment() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-cli-revision-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.makeSet(at: root.appendingPathComponent("data"))
        let config = try Self.writeConfig(
            in: root, name: "cli-revision", seed: 3, group: "C4",
            data: #"{"train": "data", "validationFraction": 0.34}"#)
        let output = root.appendingPathComponent("model").path
        var environment = ProcessInfo.processInfo.environment
        environment["EQUISCAN_CODE_REVISION"] = "v9.9-1-gdeadbee"
        let train = try CLIRunner.run(
            executable: CLIRunner.productsDirectory.appendingPathComponent("equiscan"),
            ["train", config.path, "--output", output, "--threads", "1"],
            environment: environment)
        XCTAssertEqual(train.status, 0, train.stderr)
        let metadata = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: output + "/metadata.json")))
            as? [String: Any])
        let record = try XCTUnwrap(metadata["reproducibility"] as? [String: Any])
        XCTAssertEqual(record["codeRevision"] as? String, "v9.9-1-gdeadbee")
        XCTAssertEqual(record["seed"] as? Int, 3)
        XCTAssertEqual((record["compute"] as? [String: Any])?["threads"] as? Int, 1)
    }

    func testInvalidConfigNamesPositionAndPointerAndExits65() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-cli-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("bad.json")
        try """
        {"name": "x", "task": "classification", "data": {"train": "d"},
         "input": {"width": 8, "height": 8, "channels": 1},
         "model": {"kind": "p4cnn"},
         "training": {"epochs": 1, "optimizer": {"kind": "adam", "learningRate": -1}}}
        """.write(to: config, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["train", config.path])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stderr, "equiscan: \(config.path):4:74 "
                       + "/training/optimizer/learningRate expected a positive number, got -1\n")
        let missing = try CLIRunner.run(["train", root.appendingPathComponent("none.json").path])
        XCTAssertEqual(missing.status, 66, missing.stderr)
    }
}
