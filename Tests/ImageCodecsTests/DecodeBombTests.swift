import XCTest
import ImageCodecs
import _TestSupport

/// Headers that declare enormous images must be refused with `.tooLarge` from the header,
/// before any pixel buffer exists (an attempted allocation of these sizes would abort).
final class DecodeBombTests: XCTestCase {
    func assertTooLarge(_ bytes: [UInt8], _ name: String, codec: ImageFormat,
                        options: DecodeOptions = .init(),
                        file: StaticString = #filePath, line: UInt = #line) {
        do {
            let scan = try ImageDecoder.decode(bytes: bytes, name: name, options: options)
            XCTFail("\(name): decoded \(scan.width)x\(scan.height), expected tooLarge",
                    file: file, line: line)
        } catch let error as CodecError {
            XCTAssertEqual(error.kind, .tooLarge, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, codec, file: file, line: line)
            XCTAssertEqual(error.file, name, file: file, line: line)
        } catch {
            XCTFail("\(name): unexpected error \(error)", file: file, line: line)
        }
    }

    func testPNGHeaderOf2GigapixelsIsRefused() {
        // 50000 x 50000 gray: 2.5e9 pixels > 2^28; the IDAT is a tiny valid zlib stream.
        let png = DecodeTestFiles.png(width: 50_000, height: 50_000,
                                      idat: DecodeTestFiles.zlibStored([0, 0, 0]))
        assertTooLarge(png, "bomb.png", codec: .png)
    }

    func testPNGRGBA16AtMaximumWidthIsRefused() {
        let png = DecodeTestFiles.png(width: 0x7FFF_FFFF, height: 1_000, bitDepth: 16,
                                      colorType: 6, idat: DecodeTestFiles.zlibStored([0]))
        assertTooLarge(png, "wide.png", codec: .png)
    }

    func testJPEGHeaderOf65000SquaredIsRefused() throws {
        let small = try Fixtures.bytes("conformance/jpeg/pillow/hopper.jpg")
        let bomb = try XCTUnwrap(DecodeTestFiles.jpegWithSize(small, width: 65_000,
                                                              height: 65_000))
        assertTooLarge(bomb, "bomb.jpg", codec: .jpeg)
    }

    func testTIFFHeaderOf10GigapixelsIsRefused() {
        let tiff = DecodeTestFiles.grayTIFF(width: 100_000, height: 100_000,
                                            samples: [1, 2, 3, 4])
        assertTooLarge(tiff, "bomb.tif", codec: .tiff)
    }

    func testTIFFWithManySamplesPerPixelIsRefused() {
        // 4096 x 4096 is within the pixel limit, but 60000 samples per pixel is ~1 TB.
        let tiff = DecodeTestFiles.grayTIFF(
            width: 4096, height: 4096, samples: [1, 2, 3, 4],
            extra: [.init(tag: 277, type: 3, values: [60_000]),
                    .init(tag: 258, type: 3, values: [8])])
        do {
            _ = try ImageDecoder.decode(bytes: tiff, name: "wide.tif")
            XCTFail("expected an error")
        } catch let error as CodecError {
            // libtiff may already reject the tag set; either way no allocation happened.
            XCTAssertTrue([.tooLarge, .corrupt].contains(error.kind), "\(error)")
        } catch {
            XCTFail("unexpected \(error)")
        }
    }

    func testTIFFWithHugeTilesIsRefusedOrRejected() {
        // A 16 x 16 image declaring 65536 x 65536 tiles (4 GiB per tile).
        let tiff = DecodeTestFiles.tiff(entries: [
            .init(tag: 256, type: 4, values: [16]),
            .init(tag: 257, type: 4, values: [16]),
            .init(tag: 258, type: 3, values: [8]),
            .init(tag: 259, type: 3, values: [1]),
            .init(tag: 262, type: 3, values: [1]),
            .init(tag: 277, type: 3, values: [1]),
            .init(tag: 322, type: 4, values: [65_536]),
            .init(tag: 323, type: 4, values: [65_536]),
            .init(tag: 324, type: 4, values: [0]),
            .init(tag: 325, type: 4, values: [256]),
        ], data: [UInt8](repeating: 7, count: 256))
        XCTAssertThrowsError(try ImageDecoder.decode(bytes: tiff, name: "tiles.tif")) { error in
            XCTAssertTrue(error is CodecError, "\(error)")
        }
    }

    func testConfigurableLimitRefusesOrdinaryImage() throws {
        let path = Fixtures.path("conformance/png/pngsuite/basn0g08.png")  // 32 x 32
        let options = DecodeOptions(pixelLimit: 32 * 32 - 1)
        XCTAssertThrowsError(try ImageDecoder.decode(path: path, options: options)) { error in
            XCTAssertEqual((error as? CodecError)?.kind, .tooLarge, "\(error)")
        }
        let exact = try ImageDecoder.decode(path: path, options: DecodeOptions(pixelLimit: 1024))
        XCTAssertEqual(exact.width * exact.height, 1024)
    }
}
