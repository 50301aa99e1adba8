import Foundation
import SafeFiles
import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to read or write a safetensors file: what went wrong, in words, and where.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable {
        /// The file could not be opened, read or written.
        case io
        /// The file is shorter than its header says (cut off while copying, for instance).
        case truncated
        /// The header is not a safetensors header (not JSON, wrong fields, foreign file).
        case invalidHeader
        /// Tensor byte ranges overlap, leave gaps, or disagree with dtype × shape.
        case invalidOffsets
        /// A dtype this reader cannot turn into Float32.
        case unsupportedDtype
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, quoting the offending value.
    public let message: String
    /// The file concerned, when there is one.
    public let file: String?

    public init(code: Code, message: String, file: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
    }

    public var description: String {
        if let file { return "\(file): \(message)" }
        return message
    }

    func at(_ file: String) -> SafeTensorsError {
        SafeTensorsError(code: code, message: message, file: file)
    }
}

/// Reading and writing of the safetensors weight format, so weights open in Python's
/// `safetensors` and numpy.
///
/// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned header
/// length N; N bytes of UTF-8 JSON mapping each tensor name to
/// `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (byte offsets into the data
/// section) plus an optional `"__metadata__"` string→string map; then the raw little-endian
/// data. Writing follows the Python library: metadata first, tensors sorted by name and stored
/// back to back in that order, header padded with spaces to a multiple of 8 bytes so the data
/// section is aligned. Only F32 is written; reading also accepts F16, BF16, F64, I32 and I64
/// and converts them to Float32.
public enum SafeTensors {
    /// The largest header accepted (the Python library's limit), so that a foreign file whose
    /// first 8 bytes happen to be a huge number is refused before anything is allocated.
    public static let maximumHeaderLength = 100_000_000

    /// The contents of a file: tensors by name and free-form metadata.
    public struct Contents: Equatable {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]

        public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    // MARK: - Writing

    /// The bytes of a safetensors file holding `tensors` as F32 and `metadata`.
    public static func encode(_ tensors: [String: Tensor],
                              metadata: [String: String] = [:]) -> Data {
        let names = tensors.keys.sorted()
        precondition(!names.contains("__metadata__"),
                     "a tensor may not be named __metadata__ (reserved by the format)")
        var header = "{"
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map {
                "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))"
            }
            entries.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let size = tensor.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],"
                           + "\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += entries.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        // Pad with spaces so that the data starts on an 8-byte boundary.
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }

        var data = Data(capacity: 8 + headerBytes.count + offset)
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for name in names {
            guard let tensor = tensors[name] else { continue }
            tensor.storage.withUnsafeBufferPointer { samples in
                #if _endian(little)
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(samples.baseAddress)?
                    .assumingMemoryBound(to: UInt8.self), count: samples.count * 4))
                #else
                for sample in samples {
                    var bits = sample.bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
                }
                #endif
            }
        }
        return data
    }

    /// Writes `tensors` and `metadata` to `url` atomically: the bytes go to a temporary file
    /// in the same folder, which is then renamed over `url`, so a reader sees either the old
    /// file or the whole new one.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:],
                             to url: URL) throws {
        let data = encode(tensors, metadata: metadata)
        try AtomicFile.write(data, to: url.path)
    }

    // MARK: - Reading

    /// Reads a safetensors file; every tensor is converted to Float32.
    public static func read(from url: URL) throws -> Contents {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError(code: .io, message: "cannot read file: "
                                   + error.localizedDescription, file: url.path)
        }
        do {
            return try decode(data)
        } catch let error as SafeTensorsError {
            throw error.at(url.path)
        }
    }

    /// Parses the bytes of a safetensors file. Malformed input throws; it never traps.
    public static func decode(_ data: Data) throws -> Contents {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else {
            throw SafeTensorsError(code: .truncated, message: "file has \(bytes.count) bytes, "
                                   + "fewer than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for index in 0..<8 { headerLength |= UInt64(bytes[index]) << (8 * UInt64(index)) }
        guard headerLength <= UInt64(maximumHeaderLength) else {
            throw SafeTensorsError(code: .invalidHeader, message: "header length "
                                   + "\(headerLength) exceeds \(maximumHeaderLength) bytes; "
                                   + "not a safetensors file")
        }
        let headerEnd = 8 + Int(headerLength)
        guard headerEnd <= bytes.count else {
            throw SafeTensorsError(code: .truncated, message: "header of \(headerLength) bytes "
                                   + "does not fit in a file of \(bytes.count) bytes")
        }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw SafeTensorsError(code: .invalidHeader,
                                   message: "header does not start with a JSON object")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw SafeTensorsError(code: .invalidHeader, message: "header is not valid JSON")
        }
        guard let header = json as? [String: Any] else {
            throw SafeTensorsError(code: .invalidHeader, message: "header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let rawMetadata = header["__metadata__"] {
            guard let map = rawMetadata as? [String: Any] else {
                throw SafeTensorsError(code: .invalidHeader,
                                       message: "__metadata__ is not a JSON object")
            }
            for (key, value) in map {
                guard let string = value as? String else {
                    throw SafeTensorsError(code: .invalidHeader, message: "__metadata__ value "
                                           + "for \"\(key)\" is not a string")
                }
                metadata[key] = string
            }
        }

        let dataSize = bytes.count - headerEnd
        var entries: [Entry] = []
        for (name, rawEntry) in header where name != "__metadata__" {
            entries.append(try Entry(name: name, raw: rawEntry))
        }
        // The data section must be covered exactly, without gaps or overlaps.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        for entry in entries {
            guard entry.begin == expectedBegin else {
                let problem = entry.begin < expectedBegin ? "overlaps" : "leaves a gap before"
                throw SafeTensorsError(code: .invalidOffsets, message: "tensor \"\(entry.name)\" "
                                       + "data_offsets [\(entry.begin), \(entry.end)] \(problem) "
                                       + "the previous tensor (ending at \(expectedBegin))")
            }
            expectedBegin = entry.end
        }
        guard expectedBegin <= dataSize else {
            throw SafeTensorsError(code: .truncated, message: "tensor data needs \(expectedBegin) "
                                   + "bytes, the file holds \(dataSize) after the header")
        }
        guard expectedBegin == dataSize else {
            throw SafeTensorsError(code: .invalidOffsets, message: "\(dataSize - expectedBegin) "
                                   + "bytes after the last tensor are not described by the "
                                   + "header")
        }

        var tensors: [String: Tensor] = [:]
        for entry in entries {
            let start = headerEnd + entry.begin
            tensors[entry.name] = Tensor(shape: entry.shape,
                                         storage: entry.dtype.convert(bytes, from: start,
                                                                      count: entry.count))
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    // MARK: - Helpers

    /// Element types that can be read.
    enum DType: String {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64", i32 = "I32", i64 = "I64"

        var size: Int {
            switch self {
            case .f16, .bf16: return 2
            case .f32, .i32: return 4
            case .f64, .i64: return 8
            }
        }

        /// `count` little-endian elements starting at byte `start`, as Float32.
        func convert(_ bytes: [UInt8], from start: Int, count: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: count) { output, initialized in
                bytes.withUnsafeBufferPointer { input in
                    for index in 0..<count {
                        let offset = start + index * size
                        var bits: UInt64 = 0
                        for byte in 0..<size {
                            bits |= UInt64(input[offset + byte]) << (8 * UInt64(byte))
                        }
                        switch self {
                        case .f32: output[index] = Float(bitPattern: UInt32(bits))
                        case .f16: output[index] = halfToFloat(UInt16(bits))
                        case .bf16: output[index] = Float(bitPattern: UInt32(bits) << 16)
                        case .f64: output[index] = Float(Double(bitPattern: bits))
                        case .i32: output[index] = Float(Int32(bitPattern: UInt32(bits)))
                        case .i64: output[index] = Float(Int64(bitPattern: bits))
                        }
                    }
                }
                initialized = count
            }
        }
    }

    /// One tensor's header entry, validated.
    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let count: Int
        let begin: Int
        let end: Int

        init(name: String, raw: Any) throws {
            func invalid(_ message: String) -> SafeTensorsError {
                SafeTensorsError(code: .invalidHeader, message: "tensor \"\(name)\": \(message)")
            }
            guard let fields = raw as? [String: Any] else {
                throw invalid("header entry is not a JSON object")
            }
            guard let dtypeName = fields["dtype"] as? String else {
                throw invalid("missing or non-string \"dtype\"")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw SafeTensorsError(code: .unsupportedDtype, message: "tensor \"\(name)\" has "
                                       + "dtype \"\(dtypeName)\"; expected one of F32, F16, BF16, "
                                       + "F64, I32, I64")
            }
            guard let rawShape = fields["shape"] as? [Any],
                  let shape = SafeTensors.integers(rawShape), shape.allSatisfy({ $0 >= 0 }) else {
                throw invalid("\"shape\" is not an array of non-negative integers")
            }
            guard let rawOffsets = fields["data_offsets"] as? [Any],
                  let offsets = SafeTensors.integers(rawOffsets), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw SafeTensorsError(code: .invalidOffsets, message: "tensor \"\(name)\": "
                                       + "\"data_offsets\" is not [begin, end] with "
                                       + "0 <= begin <= end")
            }
            var count = 1
            for extent in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard !overflow, product <= Int(Int32.max) else {
                    throw invalid("shape \(shape) is too large")
                }
                count = product
            }
            guard offsets[1] - offsets[0] == count * dtype.size else {
                throw SafeTensorsError(code: .invalidOffsets, message: "tensor \"\(name)\": "
                                       + "data_offsets \(offsets) span \(offsets[1] - offsets[0]) "
                                       + "bytes, but shape \(shape) of \(dtypeName) needs "
                                       + "\(count * dtype.size)")
            }
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.count = count
            self.begin = offsets[0]
            self.end = offsets[1]
        }
    }

    /// The values as integers when every one is an integral JSON number.
    static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            // JSON booleans also arrive as NSNumber; their type code is "c".
            guard let number = value as? NSNumber,
                  String(cString: number.objCType) != "c" else { return nil }
            let double = number.doubleValue
            guard double.rounded() == double, abs(double) < 9.0e15 else { return nil }
            result.append(Int(double))
        }
        return result
    }

    /// A JSON string literal for `text`.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// IEEE 754 half precision to single precision (subnormals, infinities and NaN included).
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
        // Subnormal or zero: mantissa × 2^-24.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}

extension Module {
    /// Saves `stateDictionary()` to a safetensors file (atomically) with `metadata`.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(stateDictionary(), metadata: metadata, to: url)
    }

    /// Loads weights saved by `save(to:)` (or by PyTorch under the same names); returns the
    /// file's metadata. Mismatching tensors give one `StateDictionaryError` naming each.
    @discardableResult
    public func load(from url: URL) throws -> [String: String] {
        let contents = try SafeTensors.read(from: url)
        try load(stateDictionary: contents.tensors)
        return contents.metadata
    }
}
