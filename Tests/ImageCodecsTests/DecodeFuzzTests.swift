import Foundation
import XCTest
import ImageCodecs
import _TestSupport
import TensorCore

/// Seeded truncations and bit flips of the conformance files: every mutant must decode to a
/// consistent scan or throw a `CodecError`; a crash or hang fails the whole test run.
final class DecodeFuzzTests: XCTestCase {
    /// Files up to this size are mutated (keeps the run near 20 s on two cores).
    static let maxFileBytes = 96 * 1024
    static let truncationsPerFile = 30
    static let flipsPerFile = 50

    func testTruncatedAndBitFlippedConformanceFiles() throws {
        let entries = try DecodeConformanceTests.loadEntries()
        let files = Array(Set(entries.map(\.file))).sorted()
        var generator = SeededGenerator(seed: 0x5EED_2026)
        // A smaller limit keeps mutated headers from requesting large (legal) buffers.
        let options = DecodeOptions(pixelLimit: 1 << 22)
        var decoded = 0
        var failed = 0
        var kinds: [CodecError.Kind: Int] = [:]
        var mutatedFiles = 0
        for file in files {
            let original = try Fixtures.bytes("conformance/" + file)
            guard original.count <= Self.maxFileBytes, original.count > 16 else { continue }
            mutatedFiles += 1
            var mutants: [(String, [UInt8])] = []
            for k in 0..<Self.truncationsPerFile {
                // Half the cuts inside the first 256 bytes, where the headers live.
                let bound = k % 2 == 0 ? min(256, original.count) : original.count
                let cut = Int.random(in: 0..<bound, using: &generator)
                mutants.append(("cut@\(cut)", Array(original.prefix(cut))))
            }
            for _ in 0..<Self.flipsPerFile {
                var bytes = original
                let flips = Int.random(in: 1...4, using: &generator)
                var label = "flip"
                for _ in 0..<flips {
                    let headerBiased = Bool.random(using: &generator)
                    let bound = headerBiased ? min(512, bytes.count) : bytes.count
                    let position = Int.random(in: 0..<bound, using: &generator)
                    let bit = UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
                    bytes[position] ^= bit
                    label += "@\(position)^\(bit)"
                }
                mutants.append((label, bytes))
            }
            for (label, bytes) in mutants {
                do {
                    let scan = try ImageDecoder.decode(bytes: bytes, name: file, options: options)
                    XCTAssertEqual(scan.samples.count, scan.width * scan.height * scan.channels,
                                   "\(file) \(label)")
                    XCTAssertLessThanOrEqual(scan.width * scan.height, 1 << 22)
                    decoded += 1
                } catch let error as CodecError {
                    XCTAssertFalse(error.message.isEmpty, "\(file) \(label): empty message")
                    XCTAssertEqual(error.file, file)
                    kinds[error.kind, default: 0] += 1
                    failed += 1
                } catch {
                    XCTFail("\(file) \(label): non-codec error \(error)")
                }
            }
        }
        let summary = kinds.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        print("fuzz: \(mutatedFiles) files, \(decoded + failed) mutants: \(decoded) decoded, "
              + "\(failed) CodecErrors (\(summary))")
        XCTAssertGreaterThan(mutatedFiles, 150, "too few files under the size bound")
        XCTAssertGreaterThan(failed, 0, "mutants should produce errors")
        XCTAssertGreaterThan(decoded, 0, "some flips (in pixel data) should still decode")
    }
}
