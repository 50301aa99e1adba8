import Foundation
import XCTest
import _TestSupport

/// `equiscan inspect` run as a process: stdout JSON shape, table, stderr lines, exit codes.
final class InspectCommandTests: XCTestCase {
    private let successKeys: Set<String> = [
        "file", "format", "width", "height", "channels", "sampleType", "bitsPerSample", "pages",
        "pixelSize", "orientation", "samplesSHA256",
    ]

    func testJSONForSampleScansInArgumentOrder() throws {
        let files = ["stardist_he_histo.jpg", "ct_small_128.png", "skimage_microaneurysms.png",
                     "mr_small_64.png"].map(CLIRunner.sample)
        let result = try CLIRunner.run(["inspect", "--json"] + files)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let objects = try CLIRunner.jsonArray(result)
        XCTAssertEqual(objects.map { $0["file"] as? String }, files)
        for object in objects {
            XCTAssertEqual(Set(object.keys), successKeys, "\(object)")
            XCTAssertEqual((object["samplesSHA256"] as? String)?.count, 64)
            XCTAssertEqual(object["pages"] as? Int, 1)
        }
        let expected: [(String, Int, Int, Int, String, Int)] = [
            ("jpeg", 500, 300, 3, "uint8", 8), ("png", 128, 128, 1, "uint16", 16),
            ("png", 102, 102, 1, "uint8", 8), ("png", 64, 64, 1, "uint16", 16),
        ]
        for (object, want) in zip(objects, expected) {
            XCTAssertEqual(object["format"] as? String, want.0)
            XCTAssertEqual(object["width"] as? Int, want.1)
            XCTAssertEqual(object["height"] as? Int, want.2)
            XCTAssertEqual(object["channels"] as? Int, want.3)
            XCTAssertEqual(object["sampleType"] as? String, want.4)
            XCTAssertEqual(object["bitsPerSample"] as? Int, want.5)
            XCTAssertTrue(object["pixelSize"] is NSNull)
        }
    }

    /// The TIFF sample was written by our encoder from the CT PNG: same samples, and the
    /// pixel size of the original DICOM.
    func testTIFFSampleMatchesItsPNGSource() throws {
        let result = try CLIRunner.run(["inspect", "--json",
                                        CLIRunner.sample("ct_small_128.png"),
                                        CLIRunner.sample("ct_small_128.tif")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let objects = try CLIRunner.jsonArray(result)
        XCTAssertEqual(objects.count, 2)
        XCTAssertEqual(objects[1]["format"] as? String, "tiff")
        XCTAssertEqual(objects[1]["sampleType"] as? String, "uint16")
        XCTAssertEqual(objects[1]["samplesSHA256"] as? String,
                       objects[0]["samplesSHA256"] as? String)
        let pixelSize = try XCTUnwrap(objects[1]["pixelSize"] as? [String: Double])
        let worst = max(abs((pixelSize["x"] ?? 0) - 0.661468),
                        abs((pixelSize["y"] ?? 0) - 0.661468))
        XCTAssertLessThan(worst, 1e-6, "pixel size \(pixelSize), worst error \(worst) mm")
    }

    /// The hash printed is the conformance reference's (computed by other decoders).
    func testJSONHashMatchesConformanceReference() throws {
        let result = try CLIRunner.run([
            "inspect", "--json", Fixtures.path("conformance/png/pngsuite/basn0g16.png"),
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(CLIRunner.jsonArray(result).first)
        XCTAssertEqual(object["samplesSHA256"] as? String,
                       "9802a57a53e41f9e937827300713635c79523586af3434054e9c24d3a0955b26")
    }

    func testOrientationAppliedAndKept() throws {
        let path = Fixtures.path("conformance/jpeg/pillow/hopper_orientation_6.jpg")
        let applied = try CLIRunner.jsonArray(CLIRunner.run(["inspect", "--json", path]))
        let orientation = try XCTUnwrap(applied.first?["orientation"] as? [String: Any])
        XCTAssertEqual(orientation["value"] as? Int, 6)
        XCTAssertEqual(orientation["applied"] as? Bool, true)
        let kept = try CLIRunner.jsonArray(
            CLIRunner.run(["inspect", "--json", "--keep-orientation", path]))
        let keptOrientation = try XCTUnwrap(kept.first?["orientation"] as? [String: Any])
        XCTAssertEqual(keptOrientation["applied"] as? Bool, false)
        XCTAssertNotEqual(kept.first?["samplesSHA256"] as? String,
                          applied.first?["samplesSHA256"] as? String)
    }

    func testBadFileGivesErrorObjectAndExit2AfterTheRest() throws {
        let bad = Fixtures.path("conformance/png/pngsuite/xcsn0g01.png")   // IDAT CRC error
        let good = CLIRunner.sample("mr_small_64.png")
        let result = try CLIRunner.run(["inspect", "--json", bad, good])
        XCTAssertEqual(result.status, 2, "some files decoded, some failed")
        let objects = try CLIRunner.jsonArray(result)
        XCTAssertEqual(objects.count, 2, "the good file after the bad one is still reported")
        XCTAssertEqual(Set(objects[0].keys), ["file", "error"])
        XCTAssertEqual(objects[0]["file"] as? String, bad)
        let message = try XCTUnwrap(objects[0]["error"] as? String)
        XCTAssertTrue(message.contains("PNG decode failed"), message)
        XCTAssertEqual(Set(objects[1].keys), successKeys)
        XCTAssertEqual(result.stderr, "equiscan: \(message)\n")
    }

    func testNotAnImageExits65() throws {
        let text = Fixtures.path("conformance/README.md")
        let result = try CLIRunner.run(["inspect", "--json", text])
        XCTAssertEqual(result.status, 65)
        let object = try XCTUnwrap(CLIRunner.jsonArray(result).first)
        XCTAssertTrue((object["error"] as? String)?.contains("notAnImage") == true, "\(object)")
    }

    func testNonexistentFileExits66WithErrorObject() throws {
        let missing = "/nonexistent/equiscan-test.png"
        let result = try CLIRunner.run(["inspect", "--json", missing])
        XCTAssertEqual(result.status, 66)
        let objects = try CLIRunner.jsonArray(result)
        XCTAssertEqual(objects.count, 1)
        XCTAssertEqual(objects[0]["file"] as? String, missing)
        let message = try XCTUnwrap(objects[0]["error"] as? String)
        XCTAssertTrue(message.contains("No such file or directory"), message)
        XCTAssertEqual(result.stderr, "equiscan: \(message)\n")
    }

    func testMissingAndCorruptTogetherExit65() throws {
        let result = try CLIRunner.run([
            "inspect", "--json", "/nonexistent/a.png",
            Fixtures.path("conformance/png/pngsuite/xcsn0g01.png"),
        ])
        XCTAssertEqual(result.status, 65, "a data error outranks a missing file")
        XCTAssertEqual(try CLIRunner.jsonArray(result).count, 2)
    }

    func testPageOutOfRangeExits65() throws {
        let result = try CLIRunner.run(["inspect", "--json", "--page", "1",
                                        CLIRunner.sample("mr_small_64.png")])
        XCTAssertEqual(result.status, 65)
        let object = try XCTUnwrap(CLIRunner.jsonArray(result).first)
        XCTAssertNotNil(object["error"])
    }

    func testUsageErrorsExit64() throws {
        let noFiles = try CLIRunner.run(["inspect"])
        XCTAssertEqual(noFiles.status, 64)
        XCTAssertTrue(noFiles.stderr.contains("Usage: equiscan inspect"), noFiles.stderr)
        XCTAssertEqual(noFiles.stdout, "")

        let badOption = try CLIRunner.run(["inspect", "--bogus", "x.png"])
        XCTAssertEqual(badOption.status, 64)
        XCTAssertTrue(badOption.stderr.contains("Unknown option '--bogus'"), badOption.stderr)

        let negativePage = try CLIRunner.run(["inspect", "--page=-1", "x.png"])
        XCTAssertEqual(negativePage.status, 64)
        XCTAssertTrue(negativePage.stderr.contains("--page must be 0 or more, got -1"),
                      negativePage.stderr)

        let unknownCommand = try CLIRunner.run(["no-such-command"])
        XCTAssertEqual(unknownCommand.status, 64)
    }

    func testHelpExits0() throws {
        let result = try CLIRunner.run(["inspect", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--keep-orientation"), result.stdout)
    }

    func testTableOutput() throws {
        let good = CLIRunner.sample("ct_small_128.png")
        let missing = "/nonexistent/b.png"
        let result = try CLIRunner.run(["inspect", good, missing])
        XCTAssertEqual(result.status, 2, "one file inspected, one missing")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("FILE"), lines[0])
        for column in ["FORMAT", "SIZE", "TYPE", "PIXEL SIZE (mm)", "SHA-256"] {
            XCTAssertTrue(lines[0].contains(column), "header lacks \(column): \(lines[0])")
        }
        XCTAssertTrue(lines[1].hasPrefix(good), lines[1])
        for cell in ["png", "128x128", "uint16", "16"] {
            XCTAssertTrue(lines[1].contains(" \(cell) "), "row lacks \(cell): \(lines[1])")
        }
        XCTAssertTrue(lines[2].hasPrefix(missing + "  ERROR: "), lines[2])
    }
}
