import Foundation
import ImageCodecs
import XCTest
import _TestSupport

/// `ScanReport` and `Inspection`: the JSON contract of `equiscan inspect` (key names, explicit
/// nulls, error objects) and the values it reports for real files.
final class InspectionTests: XCTestCase {
    private func jsonObject(_ report: ScanReport) throws -> [String: Any] {
        let data = try JSONEncoder().encode(report)
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        return try XCTUnwrap(object as? [String: Any], "a report encodes as a JSON object")
    }

    private let successKeys: Set<String> = [
        "file", "format", "width", "height", "channels", "sampleType", "bitsPerSample", "pages",
        "pixelSize", "orientation", "samplesSHA256",
    ]

    func testReportKeysAndValuesForAScanWithPixelSize() throws {
        let samples: [UInt16] = (0..<(5 * 3 * 2)).map { UInt16($0 * 1000) }
        let scan = Scan(width: 5, height: 3, channels: 2, samples: .uint16(samples),
                        metadata: ScanMetadata(format: .tiff, colorModel: .grayAlpha,
                                               bitsPerSample: 12, pageCount: 4, pageIndex: 2,
                                               pixelSizeMM: PixelSize(x: 0.25, y: 0.5),
                                               orientation: 8, orientationApplied: true))
        let report = ScanReport(file: "dir/a.tif", scan: scan)
        XCTAssertFalse(report.isFailure)
        let object = try jsonObject(report)
        XCTAssertEqual(Set(object.keys), successKeys)
        XCTAssertEqual(object["file"] as? String, "dir/a.tif")
        XCTAssertEqual(object["format"] as? String, "tiff")
        XCTAssertEqual(object["width"] as? Int, 5)
        XCTAssertEqual(object["height"] as? Int, 3)
        XCTAssertEqual(object["channels"] as? Int, 2)
        XCTAssertEqual(object["sampleType"] as? String, "uint16")
        XCTAssertEqual(object["bitsPerSample"] as? Int, 12)
        XCTAssertEqual(object["pages"] as? Int, 4)
        let pixelSize = try XCTUnwrap(object["pixelSize"] as? [String: Double])
        XCTAssertEqual(pixelSize, ["x": 0.25, "y": 0.5])
        let orientation = try XCTUnwrap(object["orientation"] as? [String: Any])
        XCTAssertEqual(orientation["value"] as? Int, 8)
        XCTAssertEqual(orientation["applied"] as? Bool, true)
        XCTAssertEqual(object["samplesSHA256"] as? String, ContentHash.hex(scan.samples))
        XCTAssertEqual((object["samplesSHA256"] as? String)?.count, 64)
    }

    func testUnknownPixelSizeAndOrientationAreExplicitNulls() throws {
        let scan = Scan(width: 1, height: 1, channels: 1, samples: .uint8([7]),
                        metadata: ScanMetadata(format: .png, colorModel: .minIsBlack,
                                               bitsPerSample: 8))
        let object = try jsonObject(ScanReport(file: "x.png", scan: scan))
        XCTAssertEqual(Set(object.keys), successKeys)
        XCTAssertTrue(object["pixelSize"] is NSNull, "pixelSize must be null, not absent")
        let orientation = try XCTUnwrap(object["orientation"] as? [String: Any])
        XCTAssertTrue(orientation["value"] is NSNull, "orientation.value must be null")
        XCTAssertEqual(orientation["applied"] as? Bool, false)
        XCTAssertEqual(object["samplesSHA256"] as? String, ContentHash.hex([7]))
    }

    func testErrorReportHasOnlyFileAndError() throws {
        let report = ScanReport(file: "bad.png", error: "bad.png: PNG decode failed")
        XCTAssertTrue(report.isFailure)
        let object = try jsonObject(report)
        XCTAssertEqual(Set(object.keys), ["file", "error"])
        XCTAssertEqual(object["error"] as? String, "bad.png: PNG decode failed")
    }

    func testCodableRoundTrip() throws {
        let scan = Scan(width: 2, height: 1, channels: 1, samples: .float32([1.5, -2]),
                        metadata: ScanMetadata(format: .tiff, colorModel: .minIsWhite,
                                               bitsPerSample: 32,
                                               pixelSizeMM: PixelSize(x: 0.1, y: 0.2)))
        let reports = [ScanReport(file: "a", scan: scan), ScanReport(file: "b", error: "no")]
        let decoded = try JSONDecoder().decode([ScanReport].self,
                                               from: JSONEncoder().encode(reports))
        XCTAssertEqual(decoded, reports)
    }

    /// Against the reference decode of `conformance/expected.json` (independent hash).
    func testInspectMatchesConformanceReference() throws {
        let png = try Inspection.inspect(path: Fixtures.path("conformance/png/pngsuite/"
                                                             + "basn0g16.png"))
        let details = try XCTUnwrap(png.details)
        XCTAssertEqual(details.format, .png)
        XCTAssertEqual(details.width, 32)
        XCTAssertEqual(details.sampleType, .uint16)
        XCTAssertEqual(details.samplesSHA256,
                       "9802a57a53e41f9e937827300713635c79523586af3434054e9c24d3a0955b26")

        let path = Fixtures.path("conformance/jpeg/pillow/hopper_orientation_6.jpg")
        let applied = try XCTUnwrap(Inspection.inspect(path: path).details)
        XCTAssertEqual(applied.orientation, ScanReport.Orientation(value: 6, applied: true))
        XCTAssertEqual(applied.samplesSHA256,
                       "c3e9b122e6e5727922feb1aa24282205234a77f99d84a02ea022dc46d339c777")
        let kept = try XCTUnwrap(
            Inspection.inspect(path: path, options: DecodeOptions(applyOrientation: false))
                .details)
        XCTAssertEqual(kept.orientation, ScanReport.Orientation(value: 6, applied: false))
        XCTAssertNotEqual(kept.samplesSHA256, applied.samplesSHA256,
                          "keeping orientation 6 must change the sample order")
    }

    func testInspectMissingFileThrowsIOError() {
        XCTAssertThrowsError(try Inspection.inspect(path: "/nonexistent/equiscan.png")) { error in
            guard let error = error as? CodecError else {
                return XCTFail("expected CodecError, got \(error)")
            }
            XCTAssertEqual(error.kind, .io)
            XCTAssertEqual(error.file, "/nonexistent/equiscan.png")
        }
    }
}
