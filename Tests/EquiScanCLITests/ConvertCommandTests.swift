import Foundation
import XCTest
import _TestSupport

/// `equiscan convert` run as a process: lossless output, pixel size, usage errors.
final class ConvertCommandTests: XCTestCase {
    private func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-convert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    private func inspect(_ path: String) throws -> [String: Any] {
        let result = try CLIRunner.run(["inspect", "--json", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(CLIRunner.jsonArray(result).first)
    }

    func testConvertIsLosslessForEveryOutput() throws {
        let directory = try temporaryDirectory()
        let sources = ["mr_small_64.png", "stardist_he_histo.jpg"].map(CLIRunner.sample)
        for source in sources {
            let reference = try inspect(source)
            for (name, extra) in [("out.png", []), ("out.tif", ["--compression", "none"]),
                                  ("out.tiff", ["--compression", "lzw"]),
                                  ("out2.tif", ["--format", "tiff"])] {
                let output = directory + "/" + name
                let result = try CLIRunner.run(["convert", source, output] + extra)
                XCTAssertEqual(result.status, 0, "\(source) → \(name): \(result.stderr)")
                XCTAssertEqual(result.stdout, "")
                let converted = try inspect(output)
                XCTAssertEqual(converted["samplesSHA256"] as? String,
                               reference["samplesSHA256"] as? String, "\(source) → \(name)")
                XCTAssertEqual(converted["width"] as? Int, reference["width"] as? Int)
            }
        }
    }

    func testPixelSizeOption() throws {
        let directory = try temporaryDirectory()
        let output = directory + "/ct.png"
        let result = try CLIRunner.run(["convert", CLIRunner.sample("ct_small_128.png"), output,
                                        "--pixel-size", "0.5"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let pixelSize = try XCTUnwrap(inspect(output)["pixelSize"] as? [String: Double])
        XCTAssertEqual(pixelSize, ["x": 0.5, "y": 0.5], "0.5 mm = 2000 px/m, exact in pHYs")
    }

    func testErrors() throws {
        let directory = try temporaryDirectory()
        let source = CLIRunner.sample("mr_small_64.png")
        let unknownExtension = try CLIRunner.run(["convert", source, directory + "/x.bmp"])
        XCTAssertEqual(unknownExtension.status, 64)
        XCTAssertTrue(unknownExtension.stderr.contains("cannot tell the output format"),
                      unknownExtension.stderr)

        let badSize = try CLIRunner.run(["convert", source, directory + "/x.png",
                                         "--pixel-size", "0"])
        XCTAssertEqual(badSize.status, 64)
        XCTAssertTrue(badSize.stderr.contains("--pixel-size must be a positive"), badSize.stderr)

        let missing = try CLIRunner.run(["convert", "/nonexistent/in.png", directory + "/x.png"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.hasPrefix("equiscan: /nonexistent/in.png: "),
                      missing.stderr)

        // An output that cannot be created is an I/O failure (75: fix and retry).
        let unwritable = try CLIRunner.run(["convert", source, "/nonexistent-dir/x.png"])
        XCTAssertEqual(unwritable.status, 75)
        XCTAssertTrue(unwritable.stderr.hasPrefix("equiscan: /nonexistent-dir/x.png: cannot "),
                      unwritable.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [],
                       "failed conversions leave no files")
    }
}
