import Foundation
import ImageCodecs
import SafeFiles
import XCTest

/// Encode → decode round trips through `ImageEncoder` and `ImageDecoder`: every supported
/// sample type and channel count must come back with identical samples, the same geometry and
/// the same pixel size (exact where the file format stores it exactly, else within the stated
/// tolerance).
final class EncodeRoundTripTests: XCTestCase {
    // MARK: - Test images

    /// A deterministic `width × height × channels` pattern that covers 0, the type's maximum,
    /// values above 255 (byte order) and differences between neighbours (filters/predictors).
    private func pattern(_ index: Int, max: Int) -> Int {
        switch index % 97 {
        case 0: return 0
        case 1: return max
        default: return (index &* 2_654_435_761 >> 7) % (max + 1)
        }
    }

    private func makeScan(_ type: SampleType, width: Int = 37, height: Int = 23, channels: Int,
                          colorModel: ColorModel? = nil,
                          pixelSize: PixelSize? = nil) -> Scan {
        let count = width * height * channels
        let samples: Samples
        switch type {
        case .uint8: samples = .uint8((0..<count).map { UInt8(pattern($0, max: 255)) })
        case .int8: samples = .int8((0..<count).map { Int8(pattern($0, max: 255) - 128) })
        case .uint16: samples = .uint16((0..<count).map { UInt16(pattern($0, max: 65535)) })
        case .int16:
            samples = .int16((0..<count).map { Int16(pattern($0, max: 65535) - 32768) })
        case .uint32:
            samples = .uint32((0..<count).map { UInt32(pattern($0, max: 65535)) &* 65537 })
        case .int32:
            samples = .int32((0..<count).map { Int32(pattern($0, max: 65535) - 32768) &* 65537 })
        case .float32:
            samples = .float32((0..<count).map { Float(pattern($0, max: 65535)) / 7.5 - 1000 })
        case .float64:
            samples = .float64((0..<count).map { Double(pattern($0, max: 65535)) / 3.3 - 1e4 })
        }
        let model = colorModel ?? [1: .minIsBlack, 2: .grayAlpha, 3: .rgb, 4: .rgba][channels]
            ?? .other
        let metadata = ScanMetadata(format: .png, colorModel: model,
                                    bitsPerSample: type.byteWidth * 8, pixelSizeMM: pixelSize)
        return Scan(width: width, height: height, channels: channels, samples: samples,
                    metadata: metadata)
    }

    /// Checks geometry, samples and pixel size of `decoded` against `original`.
    private func assertSameImage(_ decoded: Scan, _ original: Scan, format: ImageFormat,
                                 pixelSizeTolerance: Double, _ label: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(decoded.metadata.format, format, label, file: file, line: line)
        XCTAssertEqual(decoded.width, original.width, label, file: file, line: line)
        XCTAssertEqual(decoded.height, original.height, label, file: file, line: line)
        XCTAssertEqual(decoded.channels, original.channels, label, file: file, line: line)
        XCTAssertEqual(decoded.samples.sampleType, original.samples.sampleType, label,
                       file: file, line: line)
        if decoded.samples != original.samples {
            XCTFail("\(label): samples differ (decoded hash \(ContentHash.hex(decoded.samples)), "
                    + "original \(ContentHash.hex(original.samples)))", file: file, line: line)
        }
        switch (decoded.metadata.pixelSizeMM, original.metadata.pixelSizeMM) {
        case (nil, nil):
            break
        case let (got?, want?):
            let worst = max(abs(got.x - want.x) / want.x, abs(got.y - want.y) / want.y)
            XCTAssertLessThanOrEqual(worst, pixelSizeTolerance,
                                     "\(label): pixel size \(got) vs \(want), worst relative "
                                         + "error \(worst)", file: file, line: line)
        case let (got, want):
            XCTFail("\(label): pixel size \(String(describing: got)), expected "
                    + "\(String(describing: want))", file: file, line: line)
        }
    }

    // MARK: - PNG

    func testPNGRoundTripEveryTypeAndChannelCount() throws {
        for type in [SampleType.uint8, .uint16] {
            for channels in 1...4 {
                let scan = makeScan(type, channels: channels)
                let bytes = try ImageEncoder.encodePNG(scan)
                XCTAssertEqual(ImageDecoder.sniff(bytes), .png)
                let decoded = try ImageDecoder.decode(bytes: bytes, name: "memory.png")
                assertSameImage(decoded, scan, format: .png, pixelSizeTolerance: 0,
                                "PNG \(type.rawValue) x\(channels)")
                XCTAssertEqual(decoded.metadata.bitsPerSample, type.byteWidth * 8)
            }
        }
    }

    /// pHYs stores whole pixels per metre: sizes whose reciprocal is a whole number of
    /// micrometres come back exactly; others within 0.5 / (pixels per metre), relative.
    func testPNGPixelSize() throws {
        let exact = makeScan(.uint16, channels: 1, pixelSize: PixelSize(x: 0.5, y: 0.25))
        let decodedExact = try ImageDecoder.decode(bytes: ImageEncoder.encodePNG(exact),
                                                   name: "exact.png")
        assertSameImage(decodedExact, exact, format: .png, pixelSizeTolerance: 1e-12,
                        "PNG pixel size 0.5 x 0.25 mm")
        // 0.7 mm → 1428.57 px/m → 1429 stored: relative error 3e-4 at most for sizes ≥ 0.01 mm.
        let rounded = makeScan(.uint8, channels: 3, pixelSize: PixelSize(x: 0.7, y: 0.7))
        let decodedRounded = try ImageDecoder.decode(bytes: ImageEncoder.encodePNG(rounded),
                                                     name: "rounded.png")
        assertSameImage(decodedRounded, rounded, format: .png, pixelSizeTolerance: 5e-4,
                        "PNG pixel size 0.7 mm")
        let none = makeScan(.uint8, channels: 1)
        let decodedNone = try ImageDecoder.decode(bytes: ImageEncoder.encodePNG(none),
                                                  name: "none.png")
        XCTAssertNil(decodedNone.metadata.pixelSizeMM, "no pixel size written when unknown")
    }

    func testPNGLargeSingleRowAndColumn() throws {
        for (width, height) in [(1, 1), (1, 300), (300, 1)] {
            let scan = makeScan(.uint16, width: width, height: height, channels: 2)
            let decoded = try ImageDecoder.decode(bytes: ImageEncoder.encodePNG(scan),
                                                  name: "edge.png")
            assertSameImage(decoded, scan, format: .png, pixelSizeTolerance: 0,
                            "PNG \(width)x\(height)")
        }
    }

    func testPNGRejectsUnsupportedSamples() {
        for type in [SampleType.int8, .int16, .uint32, .int32, .float32, .float64] {
            let scan = makeScan(type, channels: 1)
            XCTAssertThrowsError(try ImageEncoder.encodePNG(scan), type.rawValue) { error in
                guard let error = error as? EncodeError else {
                    return XCTFail("expected EncodeError, got \(error)")
                }
                XCTAssertEqual(error.kind, .unsupported)
                XCTAssertTrue(error.message.contains(type.rawValue), error.message)
            }
        }
        let fiveChannels = makeScan(.uint8, channels: 5)
        XCTAssertThrowsError(try ImageEncoder.encodePNG(fiveChannels)) { error in
            XCTAssertEqual((error as? EncodeError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("5 channels"), "\(error)")
        }
    }

    // MARK: - TIFF

    /// TIFF stores X/YResolution as rationals of a 32-bit float (libtiff's API): relative
    /// error below 1e-6.
    private let tiffPixelSizeTolerance = 1e-6

    func testTIFFRoundTripEveryTypeChannelCountAndCompression() throws {
        let types: [SampleType] = [.uint8, .uint16, .int16, .uint32, .int32, .float32, .float64]
        var checked = 0
        for type in types {
            for channels in 1...4 {
                for compression in TIFFCompression.allCases {
                    let scan = makeScan(type, channels: channels,
                                        pixelSize: PixelSize(x: 0.661468, y: 0.35))
                    let bytes = try ImageEncoder.encodeTIFF(scan, compression: compression)
                    XCTAssertEqual(ImageDecoder.sniff(bytes), .tiff)
                    let label = "TIFF \(type.rawValue) x\(channels) \(compression.rawValue)"
                    let decoded = try ImageDecoder.decode(bytes: bytes, name: label)
                    assertSameImage(decoded, scan, format: .tiff,
                                    pixelSizeTolerance: tiffPixelSizeTolerance, label)
                    XCTAssertEqual(decoded.metadata.bitsPerSample, type.byteWidth * 8, label)
                    XCTAssertEqual(decoded.metadata.pageCount, 1, label)
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 7 * 4 * 3)
    }

    func testTIFFColorModelsAndNoPixelSize() throws {
        let white = makeScan(.uint16, channels: 1, colorModel: .minIsWhite)
        let decodedWhite = try ImageDecoder.decode(bytes: ImageEncoder.encodeTIFF(white),
                                                   name: "white.tif")
        XCTAssertEqual(decodedWhite.metadata.colorModel, .minIsWhite)
        assertSameImage(decodedWhite, white, format: .tiff, pixelSizeTolerance: 0,
                        "min-is-white kept as stored")
        let expected: [Int: ColorModel] = [1: .minIsBlack, 2: .grayAlpha, 3: .rgb, 4: .rgba]
        for (channels, model) in expected {
            let scan = makeScan(.uint8, channels: channels)
            let decoded = try ImageDecoder.decode(bytes: ImageEncoder.encodeTIFF(scan),
                                                  name: "model.tif")
            XCTAssertEqual(decoded.metadata.colorModel, model, "\(channels) channels")
            XCTAssertNil(decoded.metadata.pixelSizeMM, "no resolution written when unknown")
        }
    }

    /// Strips hold about 64 KiB: a tall image spans many strips, a wide one has one row each.
    func testTIFFManyStripsAndWideRows() throws {
        for (width, height) in [(300, 700), (40_000, 3), (1, 1)] {
            let scan = makeScan(.uint16, width: width, height: height, channels: 1)
            for compression in TIFFCompression.allCases {
                let decoded = try ImageDecoder.decode(
                    bytes: ImageEncoder.encodeTIFF(scan, compression: compression),
                    name: "strips.tif")
                assertSameImage(decoded, scan, format: .tiff, pixelSizeTolerance: 0,
                                "TIFF \(width)x\(height) \(compression.rawValue)")
            }
        }
    }

    func testTIFFRejectsUnsupported() {
        let int8 = makeScan(.int8, channels: 1)
        XCTAssertThrowsError(try ImageEncoder.encodeTIFF(int8)) { error in
            XCTAssertEqual((error as? EncodeError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("int8"), "\(error)")
        }
        let six = makeScan(.float32, channels: 6)
        XCTAssertThrowsError(try ImageEncoder.encodeTIFF(six)) { error in
            XCTAssertEqual((error as? EncodeError)?.kind, .unsupported)
        }
    }

    func testWriteTIFFFile() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/scan.tif"
        let scan = makeScan(.float32, channels: 1, pixelSize: PixelSize(x: 0.8, y: 0.8))
        try ImageEncoder.write(scan, to: path, format: .tiff, tiffCompression: .lzw)
        assertSameImage(try ImageDecoder.decode(path: path), scan, format: .tiff,
                        pixelSizeTolerance: tiffPixelSizeTolerance, "written TIFF")
    }

    // MARK: - write(_:to:format:)

    private func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-encode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testWriteIsAtomicAndReplacesExistingFile() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/scan.png"
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
        let scan = makeScan(.uint16, channels: 1, pixelSize: PixelSize(x: 0.5, y: 0.5))
        try ImageEncoder.write(scan, to: path, format: .png)
        let decoded = try ImageDecoder.decode(path: path)
        assertSameImage(decoded, scan, format: .png, pixelSizeTolerance: 1e-12, "written PNG")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
        XCTAssertEqual(leftovers, ["scan.png"], "no temporary file may remain")
    }

    func testWriteFailuresAreTypedAndLeaveNothingBehind() throws {
        let directory = try temporaryDirectory()
        let scan = makeScan(.uint8, channels: 1)
        let missing = directory + "/no-such-dir/scan.png"
        XCTAssertThrowsError(try ImageEncoder.write(scan, to: missing, format: .png)) { error in
            guard let error = error as? SafeFileError else {
                return XCTFail("expected SafeFileError, got \(error)")
            }
            XCTAssertEqual(error.kind, .io)
            XCTAssertEqual(error.path, missing)
            XCTAssertTrue(error.description.hasPrefix(missing + ": cannot create a temporary "),
                          error.description)
        }
        let jpeg = directory + "/scan.jpg"
        XCTAssertThrowsError(try ImageEncoder.write(scan, to: jpeg, format: .jpeg)) { error in
            XCTAssertEqual((error as? EncodeError)?.kind, .unsupported)
            XCTAssertEqual((error as? EncodeError)?.file, jpeg)
        }
        let floats = makeScan(.float32, channels: 1)
        XCTAssertThrowsError(try ImageEncoder.write(floats, to: directory + "/f.png",
                                                    format: .png)) { error in
            XCTAssertEqual((error as? EncodeError)?.file, directory + "/f.png")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [],
                       "failed writes must not leave files")
    }
}
