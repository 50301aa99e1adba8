import Foundation
import ImageCodecs
import SafeFiles
import XCTest
import _TestSupport

/// `ContentHash.hex(fileAt:)` streams a file through SHA-256: the NIST vectors from files,
/// across read pieces, and errors that name the file.
final class ContentHashFileTests: XCTestCase {
    private func file(_ bytes: [UInt8]) throws -> String {
        let path = temporaryFolder() + "/data.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testNISTVectorsFromFiles() throws {
        XCTAssertEqual(try ContentHash.hex(fileAt: file([])),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(try ContentHash.hex(fileAt: file(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // A million bytes span several 256 KiB read pieces, the last one partial.
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(try ContentHash.hex(fileAt: file(million)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Files of exactly one and two read pieces, and one byte either side, match the one-shot
    /// digest of the same bytes.
    func testPieceBoundaries() throws {
        let piece = 256 * 1024
        for size in [piece - 1, piece, piece + 1, 2 * piece] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            XCTAssertEqual(try ContentHash.hex(fileAt: file(bytes)), ContentHash.hex(bytes),
                           "\(size) bytes")
        }
    }

    func testErrorsNameTheFile() {
        let folder = temporaryFolder()
        XCTAssertThrowsError(try ContentHash.hex(fileAt: folder + "/missing.png")) { error in
            XCTAssertEqual(error as? SafeFileError,
                           SafeFileError(.io, path: folder + "/missing.png",
                                         "cannot open: No such file or directory"))
        }
        XCTAssertThrowsError(try ContentHash.hex(fileAt: folder)) { error in
            XCTAssertEqual(error as? SafeFileError,
                           SafeFileError(.io, path: folder, "not a regular file"))
        }
    }
}
