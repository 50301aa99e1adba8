import Foundation
import NeuralNet
import TensorCore
import XCTest

final class SafeTensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/safetensors")

    private func sampleTensors() -> [String: Tensor] {
        [
            "b.weight": Tensor(shape: [2, 3], generator: { Float($0) * 0.5 - 1 }),
            "a.bias": Tensor(shape: [3], storage: [.pi, -0.0, 1e-30]),
            "scalar": Tensor(scalar: 42),
            "empty": Tensor(zeros: [0, 4]),
            "weird \"name\"\n": Tensor(shape: [1], storage: [7]),
        ]
    }

    func testRoundTripKeepsEveryTensorAndMetadataBitExact() throws {
        let url = directory.appendingPathComponent("model.safetensors")
        let tensors = sampleTensors()
        let metadata = ["epoch": "3", "note": "quoted \"text\" \\ and\ttab"]
        try SafeTensors.write(tensors, metadata: metadata, to: url)
        let contents = try SafeTensors.read(from: url)
        XCTAssertEqual(contents.metadata, metadata)
        XCTAssertEqual(Set(contents.tensors.keys), Set(tensors.keys))
        for (name, tensor) in tensors {
            let loaded = try XCTUnwrap(contents.tensors[name])
            XCTAssertEqual(loaded.shape, tensor.shape, name)
            XCTAssertEqual(loaded.storage.map(\.bitPattern), tensor.storage.map(\.bitPattern), name)
        }
        // No temporary file is left behind by the atomic write.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(leftovers, ["model.safetensors"])
    }

    func testHeaderLayoutFollowsTheFormat() throws {
        let data = SafeTensors.encode(["w": Tensor(shape: [2], storage: [1, 2])],
                                      metadata: ["k": "v"])
        let bytes = [UInt8](data)
        var length = 0
        for index in 0..<8 { length |= Int(bytes[index]) << (8 * index) }
        XCTAssertEqual((8 + length) % 8, 0, "data section must start 8-byte aligned")
        XCTAssertEqual(bytes.count, 8 + length + 8)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces),
                       "{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                       + "\"data_offsets\":[0,8]}}")
        // Raw little-endian Float32 data: 1.0 = 0x3F800000.
        XCTAssertEqual(Array(bytes[(8 + length)..<(12 + length)]), [0x00, 0x00, 0x80, 0x3F])
    }

    func testOverwritingReplacesTheFile() throws {
        let url = directory.appendingPathComponent("w.safetensors")
        try SafeTensors.write(["x": Tensor(shape: [1], storage: [1])], to: url)
        try SafeTensors.write(["y": Tensor(shape: [2], storage: [2, 3])], to: url)
        XCTAssertEqual(try SafeTensors.read(from: url).tensors,
                       ["y": Tensor(shape: [2], storage: [2, 3])])
    }

    func testPythonWrittenFileLoadsWithTheRightValues() throws {
        let url = Self.fixtures.appendingPathComponent("python_written.safetensors")
        let contents = try SafeTensors.read(from: url)
        XCTAssertEqual(contents.metadata, ["format": "np", "writer": "make_safetensors_fixture"])
        // Expected values from the formulas in scripts/make_safetensors_fixture.py.
        let expected: [String: Tensor] = [
            "encoder.0.conv.weight": Tensor(shape: [2, 3, 4]) { (Float($0) - 10) * 0.25 },
            "encoder.0.conv.bias": Tensor(shape: [3]) { Float($0) / 8 },
            "half": Tensor(shape: [4]) { Float($0) * 0.5 - 1 },
            "double": Tensor(shape: [2, 2]) { Float(Double($0) / 3) },
            "int32": Tensor(shape: [5]) { Float(7 * $0 - 3) },
            "int64": Tensor(shape: [3]) { Float(($0 - 1) << 40) },
            "scalar": Tensor(scalar: 3.5),
            "empty": Tensor(zeros: [0, 3]),
        ]
        XCTAssertEqual(Set(contents.tensors.keys), Set(expected.keys))
        for (name, tensor) in expected {
            let loaded = try XCTUnwrap(contents.tensors[name], name)
            XCTAssertEqual(loaded.shape, tensor.shape, name)
            // Every value is exactly representable, so equality is exact (tolerance 0).
            XCTAssertEqual(loaded.storage, tensor.storage, name)
        }
    }

    private func assertFails(_ bytes: [UInt8], _ code: SafeTensorsError.Code,
                             mentioning words: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(Data(bytes)), file: file, line: line) {
            guard let error = $0 as? SafeTensorsError else {
                return XCTFail("unexpected error \($0)", file: file, line: line)
            }
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            if let words {
                XCTAssertTrue(error.message.contains(words), "\(error.message)", file: file,
                              line: line)
            }
        }
    }

    private func file(header: String, dataBytes: Int) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        var bytes: [UInt8] = (0..<8).map { UInt8((headerBytes.count >> (8 * $0)) & 0xFF) }
        bytes += headerBytes
        bytes += [UInt8](repeating: 0, count: dataBytes)
        return bytes
    }

    func testEveryTruncationOfAValidFileThrows() throws {
        let bytes = [UInt8](SafeTensors.encode(sampleTensors(), metadata: ["a": "b"]))
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensors.decode(Data(bytes[0..<length])),
                                 "prefix of \(length) bytes")
        }
    }

    func testTruncatedFilesAndForeignFilesThrow() {
        assertFails([1, 2, 3], .truncated)
        assertFails(Array("this is not a safetensors file, it is plain text".utf8),
                    .invalidHeader)
        // A PNG signature: its first 8 bytes read as a huge header length.
        assertFails([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13],
                    .invalidHeader)
        assertFails(file(header: "[1, 2, 3]", dataBytes: 0), .invalidHeader)
        assertFails(file(header: "{\"a\": 3", dataBytes: 0), .invalidHeader)
        let valid = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        assertFails(file(header: valid, dataBytes: 4), .truncated)
    }

    func testInconsistentHeadersThrowAndNameTheTensor() {
        assertFails(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                         + "\"data_offsets\":[0,8]},\"v\":{\"dtype\":\"F32\",\"shape\":[2],"
                         + "\"data_offsets\":[4,12]}}", dataBytes: 12),
                    .invalidOffsets, mentioning: "overlaps")
        assertFails(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],"
                         + "\"data_offsets\":[0,8]}}", dataBytes: 8),
                    .invalidOffsets, mentioning: "\"w\"")
        assertFails(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                         + "\"data_offsets\":[4,12]}}", dataBytes: 12),
                    .invalidOffsets, mentioning: "gap")
        assertFails(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                         + "\"data_offsets\":[0,8]}}", dataBytes: 12),
                    .invalidOffsets, mentioning: "not described")
        assertFails(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                         + "\"data_offsets\":[8,0]}}", dataBytes: 8), .invalidOffsets)
        assertFails(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],"
                         + "\"data_offsets\":[0,8]}}", dataBytes: 8), .invalidHeader)
        assertFails(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,"
                         + "4294967296],\"data_offsets\":[0,8]}}", dataBytes: 8),
                    .invalidHeader, mentioning: "too large")
        assertFails(file(header: "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],"
                         + "\"data_offsets\":[0,2]}}", dataBytes: 2),
                    .unsupportedDtype, mentioning: "U8")
        assertFails(file(header: "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}",
                         dataBytes: 8), .invalidHeader, mentioning: "dtype")
        assertFails(file(header: "{\"__metadata__\":{\"k\":3}}", dataBytes: 0),
                    .invalidHeader, mentioning: "k")
    }

    func testCorruptingAnyHeaderByteNeverCrashes() {
        // Each of the first 160 bytes (length field and JSON header) is replaced by each of a
        // few troublesome values; decoding must throw or succeed, never trap.
        let valid = [UInt8](SafeTensors.encode(sampleTensors(), metadata: ["a": "b"]))
        var failures = 0
        for index in 0..<min(valid.count, 160) {
            for replacement in [0x00, 0xFF, 0x22, 0x7D, 0x5D, 0x2D, 0x39] as [UInt8] {
                var bytes = valid
                bytes[index] = replacement
                if (try? SafeTensors.decode(Data(bytes))) == nil { failures += 1 }
            }
        }
        XCTAssertGreaterThan(failures, 0, "corrupting headers should make some files invalid")
    }

    func testReadingAMissingFileIsAnIOErrorNamingTheFile() {
        let url = directory.appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try SafeTensors.read(from: url)) {
            let error = $0 as? SafeTensorsError
            XCTAssertEqual(error?.code, .io)
            XCTAssertEqual(error?.file, url.path)
        }
    }
}
