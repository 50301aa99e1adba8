import CCodecShims

/// TIFF decoding (being written).
enum TIFFReader {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>,
                       _ context: DecodeContext) throws -> Scan {
        throw context.error(.unsupported, "TIFF decoding is not available yet")
    }
}
