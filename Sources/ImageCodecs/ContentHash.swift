import Crypto

/// SHA-256 fingerprints of files, decoded samples and weights, computed by swift-crypto
/// (BoringSSL's assembly on Linux, CryptoKit on Apple platforms).
///
/// Digests print as 64 lower-case hexadecimal digits, the form of `conformance/expected.json`,
/// `equiscan inspect` and model packages' `metadata.json`.
public enum ContentHash {
    /// The SHA-256 of `bytes` in hexadecimal.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hex($0) }
    }

    /// The SHA-256 of the bytes in `buffer` in hexadecimal.
    public static func hex(_ buffer: UnsafeRawBufferPointer) -> String {
        var hasher = Hasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// The SHA-256 of `samples` laid out as in `conformance/expected.json`: each sample in its
    /// own type, in storage order, multi-byte samples little-endian.
    public static func hex(_ samples: Samples) -> String {
        var hasher = Hasher()
        hasher.update(samples)
        return hasher.finalize()
    }

    /// Lower-case hexadecimal form of any byte string.
    public static func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String
        where Bytes.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Incremental SHA-256: feed bytes with `update` any number of times, then `finalize` once.
    public struct Hasher {
        private var state = Crypto.SHA256()

        public init() {}

        /// Adds `bytes` to the message.
        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// Adds the bytes of `buffer` to the message.
        public mutating func update(_ buffer: UnsafeRawBufferPointer) {
            state.update(bufferPointer: buffer)
        }

        /// Adds `samples` in the `expected.json` layout (little-endian, storage order).
        public mutating func update(_ samples: Samples) {
            switch samples {
            case .uint8(let a): a.withUnsafeBytes { update($0) }
            case .int8(let a): a.withUnsafeBytes { update($0) }
            case .uint16(let a): updateLittleEndian(a)
            case .int16(let a): updateLittleEndian(a)
            case .uint32(let a): updateLittleEndian(a)
            case .int32(let a): updateLittleEndian(a)
            case .float32(let a):
                #if _endian(little)
                a.withUnsafeBytes { update($0) }
                #else
                updateLittleEndian(a.map(\.bitPattern))
                #endif
            case .float64(let a):
                #if _endian(little)
                a.withUnsafeBytes { update($0) }
                #else
                updateLittleEndian(a.map(\.bitPattern))
                #endif
            }
        }

        private mutating func updateLittleEndian<T: FixedWidthInteger>(_ values: [T]) {
            #if _endian(little)
            values.withUnsafeBytes { update($0) }
            #else
            values.map(\.littleEndian).withUnsafeBytes { update($0) }
            #endif
        }

        /// The digest in hexadecimal; the hasher is used up.
        public func finalize() -> String {
            ContentHash.hexString(state.finalize())
        }
    }
}
