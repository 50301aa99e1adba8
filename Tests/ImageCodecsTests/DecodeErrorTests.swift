import Foundation
import XCTest
import ImageCodecs
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Bad input gives a typed `CodecError` naming the file, the codec and the library's words;
/// metadata (pixel size, palette, colour model, pages) comes through as the file states it.
final class DecodeErrorTests: XCTestCase {
    func codecError(_ body: () throws -> Scan, file: StaticString = #filePath,
                    line: UInt = #line) -> CodecError? {
        do {
            let scan = try body()
            XCTFail("expected a CodecError, decoded \(scan.width)x\(scan.height)",
                    file: file, line: line)
        } catch let error as CodecError {
            return error
        } catch {
            XCTFail("expected a CodecError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testEmptyAndNonImageAndMissingFiles() {
        let empty = codecError { try ImageDecoder.decode(bytes: [], name: "empty.png") }
        XCTAssertEqual(empty?.kind, .empty)
        XCTAssertNil(empty?.codec)
        let text = codecError {
            try ImageDecoder.decode(bytes: Array("hello, world".utf8), name: "notes.png")
        }
        XCTAssertEqual(text?.kind, .notAnImage)
        XCTAssertEqual(text?.description.hasPrefix("notes.png: cannot decode (notAnImage): "),
                       true, text?.description ?? "")
        let missing = codecError {
            try ImageDecoder.decode(path: "/nonexistent/dir/scan.tif")
        }
        XCTAssertEqual(missing?.kind, .io)
        XCTAssertEqual(missing?.file, "/nonexistent/dir/scan.tif")
        XCTAssertEqual(missing?.message.contains("No such file"), true, missing?.message ?? "")
        let folder = codecError { try ImageDecoder.decode(path: Fixtures.path("medical")) }
        XCTAssertEqual(folder?.kind, .io)
        XCTAssertEqual(folder?.message, "not a regular file")
    }

    func testTruncatedPNGNamesFileCodecAndLibraryMessage() throws {
        let bytes = try Fixtures.bytes("conformance/png/pngsuite/basn0g08.png")
        let cut = Array(bytes.prefix(bytes.count / 2))
        let error = codecError { try ImageDecoder.decode(bytes: cut, name: "scan.png") }
        XCTAssertEqual(error?.kind, .truncated)
        XCTAssertEqual(error?.codec, .png)
        XCTAssertEqual(error?.description.hasPrefix("scan.png: PNG decode failed (truncated): "),
                       true, error?.description ?? "")
    }

    func testBadIDATCRCIsCorruptWithLibpngMessage() {
        let path = Fixtures.path("conformance/png/pngsuite/xcsn0g01.png")
        let error = codecError { try ImageDecoder.decode(path: path) }
        XCTAssertEqual(error?.kind, .corrupt)
        XCTAssertEqual(error?.message, "IDAT: CRC error")
    }

    func testTruncatedJPEGIsAnErrorNotAPartialImage() {
        let path = Fixtures.path("conformance/jpeg/pillow/truncated_jpeg.jpg")
        let error = codecError { try ImageDecoder.decode(path: path) }
        XCTAssertEqual(error?.kind, .truncated)
        XCTAssertEqual(error?.codec, .jpeg)
        XCTAssertEqual(error?.message, "Premature end of JPEG file")
    }

    func testTwelveBitJPEGIsUnsupported() throws {
        var bytes = try Fixtures.bytes("conformance/jpeg/pillow/hopper.jpg")
        // Find SOF0 and set its sample precision to 12.
        var i = 2
        while i + 4 < bytes.count, bytes[i + 1] != 0xC0 {
            i += 2 + (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]))
        }
        XCTAssertEqual(bytes[i + 1], 0xC0, "hopper.jpg should be baseline")
        bytes[i + 4] = 12
        let error = codecError { try ImageDecoder.decode(bytes: bytes, name: "12bit.jpg") }
        XCTAssertEqual(error?.kind, .unsupported)
        XCTAssertEqual(error?.message, "Unsupported JPEG data precision 12")
    }

    func testTruncatedTIFFIsACodecError() throws {
        let bytes = try Fixtures.bytes("conformance/tiff/pillow/hopper_lzw.tif")
        for fraction in [0.1, 0.5, 0.9] {
            let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
            let error = codecError { try ImageDecoder.decode(bytes: cut, name: "cut.tif") }
            XCTAssertEqual(error?.codec, .tiff, "cut at \(fraction)")
            XCTAssertEqual(error?.message.isEmpty, false)
        }
    }

    func testPages() throws {
        let path = Fixtures.path("conformance/tiff/pillow/multipage.tiff")
        let last = try ImageDecoder.decode(path: path, options: DecodeOptions(page: 2))
        XCTAssertEqual(last.metadata.pageCount, 3)
        XCTAssertEqual(last.metadata.pageIndex, 2)
        let beyond = codecError {
            try ImageDecoder.decode(path: path, options: DecodeOptions(page: 3))
        }
        XCTAssertEqual(beyond?.kind, .pageOutOfRange)
        let png = Fixtures.path("conformance/png/pngsuite/basn0g08.png")
        let pngPage = codecError {
            try ImageDecoder.decode(path: png, options: DecodeOptions(page: 1))
        }
        XCTAssertEqual(pngPage?.kind, .pageOutOfRange)
    }

    func testFormatComesFromMagicBytesNotExtension() throws {
        let png = try Fixtures.bytes("conformance/png/pngsuite/basn0g08.png")
        let scan = try ImageDecoder.decode(bytes: png, name: "mislabelled.jpg")
        XCTAssertEqual(scan.metadata.format, .png)
        XCTAssertEqual(ImageDecoder.sniff(png), .png)
        XCTAssertEqual(ImageDecoder.sniff([0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertEqual(ImageDecoder.sniff([0x49, 0x49, 42, 0]), .tiff)
        XCTAssertEqual(ImageDecoder.sniff([0x4D, 0x4D, 0, 42]), .tiff)
        XCTAssertEqual(ImageDecoder.sniff([0x49, 0x49, 43, 0]), .tiff)  // BigTIFF
        XCTAssertNil(ImageDecoder.sniff([0x89, 0x50, 0x4E]))
        XCTAssertNil(ImageDecoder.sniff(Array("GIF89a".utf8)))
    }

    func testPixelSizeFromPNGJPEGAndTIFF() throws {
        func size(_ relative: String) throws -> PixelSize? {
            try ImageDecoder.decode(path: Fixtures.path("conformance/" + relative))
                .metadata.pixelSizeMM
        }
        // pHYs 1000 pixels per metre.
        XCTAssertEqual(try size("png/pngsuite/cdun2c08.png"), PixelSize(x: 1.0, y: 1.0))
        // pHYs without a unit states only the aspect ratio.
        XCTAssertNil(try size("png/pngsuite/cdfn2c08.png"))
        // JFIF 96 dots per inch.
        let hopper = try XCTUnwrap(try size("jpeg/pillow/hopper.jpg"))
        XCTAssertEqual(hopper.x, 25.4 / 96, accuracy: 1e-12)
        // JFIF 1 x 2 dots per centimetre.
        let cm = try XCTUnwrap(try size("jpeg/pillow/jfif_unit_cm.jpg"))
        XCTAssertEqual(cm.x, 10.0, accuracy: 1e-12)
        XCTAssertEqual(cm.y, 5.0, accuracy: 1e-12)
        // TIFF: 300 x 150 per inch, then 40 per centimetre.
        let inch = DecodeTestFiles.grayTIFF(width: 2, height: 1, samples: [0, 1], extra: [
            .init(tag: 282, type: 5, values: [300]), .init(tag: 283, type: 5, values: [150]),
            .init(tag: 296, type: 3, values: [2]),
        ])
        let tiffInch = try XCTUnwrap(
            try ImageDecoder.decode(bytes: inch, name: "inch.tif").metadata.pixelSizeMM)
        XCTAssertEqual(tiffInch.x, 25.4 / 300, accuracy: 1e-9)
        XCTAssertEqual(tiffInch.y, 25.4 / 150, accuracy: 1e-9)
        let centimetre = DecodeTestFiles.grayTIFF(width: 2, height: 1, samples: [0, 1], extra: [
            .init(tag: 282, type: 5, values: [40]), .init(tag: 283, type: 5, values: [40]),
            .init(tag: 296, type: 3, values: [3]),
        ])
        let tiffCM = try XCTUnwrap(
            try ImageDecoder.decode(bytes: centimetre, name: "cm.tif").metadata.pixelSizeMM)
        XCTAssertEqual(tiffCM.x, 0.25, accuracy: 1e-9)
    }

    func testColourModelsPaletteAndMinIsWhite() throws {
        let palette = try ImageDecoder.decode(
            path: Fixtures.path("conformance/tiff/libtiff/palette-1c-8b.tiff"))
        XCTAssertEqual(palette.metadata.colorModel, .palette)
        XCTAssertEqual(palette.metadata.palette?.count, 3 * 256)
        XCTAssertEqual(palette.channels, 1)

        let white = DecodeTestFiles.grayTIFF(width: 2, height: 2, samples: [0, 10, 200, 255],
                                             extra: [.init(tag: 262, type: 3, values: [0])])
        let scan = try ImageDecoder.decode(bytes: white, name: "white.tif")
        XCTAssertEqual(scan.metadata.colorModel, .minIsWhite)
        XCTAssertEqual(scan.samples, .uint8([0, 10, 200, 255]), "min-is-white is not inverted")

        let cmyk = try ImageDecoder.decode(
            path: Fixtures.path("conformance/jpeg/pillow/pil_sample_cmyk.jpg"))
        XCTAssertEqual(cmyk.metadata.colorModel, .cmyk)
        XCTAssertEqual(cmyk.channels, 4)

        let rgba = try ImageDecoder.decode(
            path: Fixtures.path("conformance/png/pngsuite/basn6a16.png"))
        XCTAssertEqual(rgba.metadata.colorModel, .rgba)
        XCTAssertEqual(rgba.samples.sampleType, .uint16)
    }

    /// Decodes every conformance file that must fail or is uncertain with fd 2 redirected, and
    /// checks that no library wrote to stderr.
    func testLibrariesNeverWriteToStderr() throws {
        let data = try Data(contentsOf: Fixtures.url("conformance/expected.json"))
        let entries = try JSONDecoder().decode(DecodeConformanceTests.Expected.self, from: data)
            .files.filter { $0.expect != "ok" }
        XCTAssertGreaterThan(entries.count, 20)
        let capture = FileManager.default.temporaryDirectory
            .appendingPathComponent("equiscan-stderr-\(getpid()).txt").path
        fflush(nil)  // every C stream, stderr among them (Swift 6 cannot name the C global)
        let saved = dup(2)
        let fd = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        dup2(fd, 2)
        for entry in entries {
            _ = try? ImageDecoder.decode(path: Fixtures.path("conformance/" + entry.file))
        }
        fflush(nil)
        dup2(saved, 2)
        close(fd)
        close(saved)
        let written = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? "<unreadable>"
        try? FileManager.default.removeItem(atPath: capture)
        XCTAssertEqual(written, "", "codec libraries wrote to stderr")
    }
}
