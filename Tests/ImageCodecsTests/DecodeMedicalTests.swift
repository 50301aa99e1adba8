import Foundation
import XCTest
import ImageCodecs
import _TestSupport

/// Real scans decode with their full value range: 16-bit CT/MR samples are compared with an
/// independent decode (`scripts/medical_fixture_reference.py`, zlib + PNG filters only).
final class DecodeMedicalTests: XCTestCase {
    struct Reference: Decodable {
        struct Point: Decodable { var x: Int; var y: Int; var value: Int }
        var width: Int
        var height: Int
        var channels: Int
        var bitDepth: Int
        var min: Int
        var max: Int
        var sum: Int
        var points: [Point]
        var samplesSHA256: String
    }

    func testPNGScansMatchIndependentDecode() throws {
        let data = try Data(contentsOf: Fixtures.url("medical/reference.json"))
        let references = try JSONDecoder().decode([String: Reference].self, from: data)
        XCTAssertEqual(references.count, 3)
        for (name, ref) in references.sorted(by: { $0.key < $1.key }) {
            let scan = try ImageDecoder.decode(path: Fixtures.path("medical/" + name))
            XCTAssertEqual(scan.width, ref.width, name)
            XCTAssertEqual(scan.height, ref.height, name)
            XCTAssertEqual(scan.channels, ref.channels, name)
            XCTAssertEqual(scan.metadata.bitsPerSample, ref.bitDepth, name)
            let values: [Int]
            switch scan.samples {
            case .uint16(let a):
                XCTAssertEqual(ref.bitDepth, 16, name)
                values = a.map(Int.init)
            case .uint8(let a):
                XCTAssertEqual(ref.bitDepth, 8, name)
                values = a.map(Int.init)
            default:
                XCTFail("\(name): unexpected sample type \(scan.samples.sampleType)")
                continue
            }
            XCTAssertEqual(values.min(), ref.min, "\(name) min")
            XCTAssertEqual(values.max(), ref.max, "\(name) max")
            XCTAssertEqual(values.reduce(0, +), ref.sum, "\(name) sum")
            for point in ref.points {
                let index = (point.y * scan.width + point.x) * scan.channels
                XCTAssertEqual(values[index], point.value, "\(name) at (\(point.x), \(point.y))")
            }
            XCTAssertEqual(ContentHash.hex(scan.samples), ref.samplesSHA256, name)
        }
    }

    func testCTKeepsHounsfieldRange() throws {
        // value = HU + 1024: air is near 0 HU - 1000, dense bone far above 255, so an 8-bit
        // reduction or a byte-order slip would show here.
        let scan = try ImageDecoder.decode(path: Fixtures.path("medical/ct_small_128.png"))
        guard case .uint16(let values) = scan.samples else {
            return XCTFail("CT must decode as uint16, got \(scan.samples.sampleType)")
        }
        let hu = values.map { Int($0) - 1024 }
        XCTAssertLessThan(hu.min() ?? 0, -800, "air should be below -800 HU")
        XCTAssertGreaterThan(hu.max() ?? 0, 1000, "bone should exceed 1000 HU")
        XCTAssertEqual(scan.metadata.colorModel, .minIsBlack)
    }

    func testHistologyJPEGDecodesAsRGB() throws {
        let scan = try ImageDecoder.decode(path: Fixtures.path("medical/stardist_he_histo.jpg"))
        XCTAssertEqual(scan.width, 500)
        XCTAssertEqual(scan.height, 300)
        XCTAssertEqual(scan.channels, 3)
        XCTAssertEqual(scan.metadata.format, .jpeg)
        XCTAssertEqual(scan.metadata.colorModel, .rgb)
        guard case .uint8(let values) = scan.samples else {
            return XCTFail("JPEG must decode as uint8")
        }
        // H&E: eosin pink / haematoxylin purple, so red exceeds green on average.
        var sums = [0, 0, 0]
        for (i, v) in values.enumerated() { sums[i % 3] += Int(v) }
        XCTAssertGreaterThan(sums[0], sums[1], "mean red should exceed mean green in H&E")
    }
}
