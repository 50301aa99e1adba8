import Foundation
import XCTest

/// Runs `equiscan train` and `equiscan evaluate` as a user would.
final class TrainCommandTests: XCTestCase {
    /// A tiny two-class set of 8x8 gray PNGs ("dark" and "bright"), written by `PNGWriter`
    /// because this test target does not link the codecs.
    func makeSet(at root: URL) throws {
        for (k, name) in ["dark", "bright"].enumerated() {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<6 {
                let value = UInt8(k == 0 ? 20 + i * 5 : 200 + i * 5)
                try PNGWriter.gray(width: 8, height: 8,
                                   pixels: (0..<64).map { value &+ UInt8($0 % 7) })
                    .write(to: folder.appendingPathComponent("\(i).png"))
            }
        }
    }

    func testTrainWritesAPackageAndEvaluatePrintsJSON() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-cli-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try makeSet(at: root.appendingPathComponent("data"))
        let config = root.appendingPathComponent("config.json")
        try """
        {"name": "cli-tiny", "task": "classification", "seed": 1,
         "data": {"train": "data", "validationFraction": 0.34},
         "input": {"width": 8, "height": 8, "channels": 1, "normalization": "none"},
         "model": {"kind": "p4cnn", "group": "D4", "width": 2, "depth": 1},
         "training": {"epochs": 2, "batchSize": 4,
                      "optimizer": {"kind": "sgd", "learningRate": 0.01}}}
        """.write(to: config, atomically: true, encoding: .utf8)
        let output = root.appendingPathComponent("model").path
        let train = try CLIRunner.run(["train", config.path, "--output", output])
        XCTAssertEqual(train.status, 0, train.stderr)
        let lines = train.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("epoch ") }.count, 2, train.stdout)
        XCTAssertTrue(train.stdout.contains("model package written to \(output)"), train.stdout)

        let evaluate = try CLIRunner.run(["evaluate", output,
                                          root.appendingPathComponent("data").path, "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8))
            as? [String: Any]
        for key in ["task", "metrics", "perClass", "group", "groupAverage", "orbitConsistency",
                    "cases"] {
            XCTAssertNotNil(object?[key], "missing key \(key) in \(evaluate.stdout)")
        }
        XCTAssertEqual(object?["group"] as? String, "D4")
        XCTAssertEqual(object?["cases"] as? Int, 12)
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

/// Minimal PNG writer for test inputs (stored zlib blocks, no compression).
enum PNGWriter {
    static func gray(width: Int, height: Int, pixels: [UInt8]) -> Data {
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)
            raw += pixels[(y * width)..<((y + 1) * width)]
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let chunk = min(65_535, raw.count - offset)
            let final: UInt8 = offset + chunk == raw.count ? 1 : 0
            zlib += [final, UInt8(chunk & 0xFF), UInt8(chunk >> 8),
                     UInt8(~chunk & 0xFF), UInt8((~chunk >> 8) & 0xFF)]
            zlib += raw[offset..<(offset + chunk)]
            offset += chunk
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
        zlib += bigEndian((b << 16) | a)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height))
                     + [8, 0, 0, 0, 0])
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return Data(png)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in body {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return bigEndian(UInt32(data.count)) + body + bigEndian(~crc)
    }
}
