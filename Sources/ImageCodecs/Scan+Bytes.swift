/// The samples as bytes in the conformance layout.
extension Scan {
    /// Row-major, interleaved samples with every multi-byte sample little-endian: the layout
    /// hashed by `samplesSHA256` in `conformance/expected.json`.
    public func samplesLittleEndianBytes() -> [UInt8] {
        switch samples {
        case .uint8(let a): return a
        case .int8(let a): return a.map { UInt8(bitPattern: $0) }
        case .uint16(let a): return Self.littleEndian(a.map { $0.littleEndian })
        case .int16(let a): return Self.littleEndian(a.map { $0.littleEndian })
        case .uint32(let a): return Self.littleEndian(a.map { $0.littleEndian })
        case .int32(let a): return Self.littleEndian(a.map { $0.littleEndian })
        case .float32(let a): return Self.littleEndian(a.map { $0.bitPattern.littleEndian })
        case .float64(let a): return Self.littleEndian(a.map { $0.bitPattern.littleEndian })
        }
    }

    private static func littleEndian<T>(_ values: [T]) -> [UInt8] {
        values.withUnsafeBytes { [UInt8]($0) }
    }
}
