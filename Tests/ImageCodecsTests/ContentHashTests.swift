import ImageCodecs
import XCTest

/// ContentHash (swift-crypto SHA-256) against the FIPS 180-4 / NIST example vectors and the digests printed by
/// `scripts/sha256_vectors.py` (Python hashlib) for the padding boundaries.
final class ContentHashTests: XCTestCase {
    /// The bytes `(i * 7 + 3) & 0xff` for `i` in `0..<count`, as in the generator script.
    private func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    }

    func testNISTShortMessages() {
        XCTAssertEqual(ContentHash.hex(Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(ContentHash.hex([UInt8]()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            ContentHash.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let long = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        XCTAssertEqual(ContentHash.hex(Array(long.utf8)),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testNISTMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(ContentHash.hex(message),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testPaddingBoundaries() {
        let expected: [(Int, String)] = [
            (55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
            (56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
            (63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
            (64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
            (65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"),
            (119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"),
            (120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"),
            (1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"),
        ]
        for (count, digest) in expected {
            XCTAssertEqual(ContentHash.hex(pattern(count)), digest, "message of \(count) bytes")
        }
    }

    /// Feeding a message in pieces of every size from 1 to 130 bytes gives the one-shot digest.
    func testIncrementalMatchesOneShot() {
        let message = pattern(1000)
        let reference = "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"
        for piece in 1...130 {
            var hasher = ContentHash.Hasher()
            var start = 0
            while start < message.count {
                let end = min(start + piece, message.count)
                message[start..<end].withUnsafeBytes { hasher.update($0) }
                start = end
            }
            XCTAssertEqual(hasher.finalize(), reference, "pieces of \(piece)")
        }
    }

    func testRawBufferAndDigestAgree() {
        let message = pattern(200)
        let viaBuffer = message.withUnsafeBytes { ContentHash.hex($0) }
        XCTAssertEqual(viaBuffer, ContentHash.hex(message))
        XCTAssertEqual(viaBuffer.count, 64)
    }

    /// Samples hash in the `expected.json` layout: each sample little-endian in its own type.
    func testSamplesHashLittleEndian() {
        XCTAssertEqual(ContentHash.hex(Samples.uint16([0x6261])),
                       "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603")
        XCTAssertEqual(ContentHash.hex(Samples.uint8([0x61, 0x62])), ContentHash.hex(Array("ab".utf8)))
        XCTAssertEqual(ContentHash.hex(Samples.int16([-2, 300])),
                       "f40d0d41d9a2be3b283885a2d582cb75f7ee35391dc78c461a58825ade931755")
        XCTAssertEqual(ContentHash.hex(Samples.float32([1, -2.5])),
                       "48943f7a0ea247f8e3c9386d0c5822fe181d323a9289980426638cc4e72a43e1")
    }
}
