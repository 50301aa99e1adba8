import CCodecShims

/// JPEG decoding (being written).
enum JPEGReader {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>,
                       _ context: DecodeContext) throws -> Scan {
        throw context.error(.unsupported, "JPEG decoding is not available yet")
    }
}
