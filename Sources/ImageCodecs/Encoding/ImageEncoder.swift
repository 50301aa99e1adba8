import CCodecShims
import SafeFiles

/// Encodes scans as PNG or TIFF through libpng and libtiff.
///
/// PNG holds 8/16-bit unsigned gray, gray+alpha, RGB and RGBA (1–4 channels); a known pixel
/// size becomes a pHYs chunk (integer pixels per metre, so sizes round to the nearest 1/1000 of
/// a pixel per mm). TIFF holds 1–4 channels of 8/16/32-bit signed or unsigned integers or
/// 32/64-bit floats, written as one page of strips, with X/YResolution in pixels per centimetre
/// when the pixel size is known; min-is-white gray scans keep their photometric
/// interpretation. Multi-byte samples are written in the file's byte order from host order.
public enum ImageEncoder {
    /// zlib level for PNG: 6 balances size and speed like libpng's own default.
    public static let pngCompressionLevel = 6

    /// The PNG file bytes of `scan`.
    ///
    /// - Throws: `EncodeError` with kind `.unsupported` for sample types other than `uint8` and
    ///   `uint16` or channel counts outside 1…4, `.library` when libpng fails.
    public static func encodePNG(_ scan: Scan) throws -> [UInt8] {
        try checkGeometry(scan, format: .png)
        let bitDepth: UInt32
        switch scan.samples {
        case .uint8: bitDepth = 8
        case .uint16: bitDepth = 16
        default:
            throw EncodeError(
                file: nil, format: .png, kind: .unsupported,
                message: "PNG stores 8- or 16-bit unsigned samples; the scan has "
                    + "\(scan.samples.sampleType.rawValue) samples (write TIFF instead)")
        }
        let (px, py) = pixelSize(scan)
        return try withSampleBytes(scan.samples) { pixels in
            var buffer = es_buffer()
            var message = [CChar](repeating: 0, count: Int(ES_MESSAGE_CAPACITY))
            let status = es_png_encode(pixels, UInt32(scan.width), UInt32(scan.height),
                                       UInt32(scan.channels), bitDepth, px, py,
                                       Int32(pngCompressionLevel), &buffer, &message)
            return try takeBuffer(&buffer, status: status, message: message, format: .png)
        }
    }

    /// The TIFF file bytes of `scan` (one page, little-endian, strips).
    ///
    /// - Throws: `EncodeError` with kind `.unsupported` for `int8` samples or channel counts
    ///   outside 1…4, `.library` when libtiff fails.
    public static func encodeTIFF(_ scan: Scan,
                                  compression: TIFFCompression = .deflate) throws -> [UInt8] {
        try checkGeometry(scan, format: .tiff)
        let bits: UInt32
        let format: es_tiff_sample_format
        switch scan.samples {
        case .uint8: (bits, format) = (8, ES_TIFF_UINT)
        case .uint16: (bits, format) = (16, ES_TIFF_UINT)
        case .int16: (bits, format) = (16, ES_TIFF_INT)
        case .uint32: (bits, format) = (32, ES_TIFF_UINT)
        case .int32: (bits, format) = (32, ES_TIFF_INT)
        case .float32: (bits, format) = (32, ES_TIFF_FLOAT)
        case .float64: (bits, format) = (64, ES_TIFF_FLOAT)
        case .int8:
            // Signed 8-bit TIFF exists but most readers mishandle it; refuse rather than
            // write a file other tools misread.
            throw EncodeError(file: nil, format: .tiff, kind: .unsupported,
                              message: "TIFF output of int8 samples is not supported; "
                                  + "convert to int16 first")
        }
        let cCompression: es_tiff_compression
        switch compression {
        case .none: cCompression = ES_TIFF_NONE
        case .lzw: cCompression = ES_TIFF_LZW
        case .deflate: cCompression = ES_TIFF_DEFLATE
        }
        let gray = scan.metadata.colorModel == .minIsWhite ? ES_TIFF_MIN_IS_WHITE
                                                          : ES_TIFF_MIN_IS_BLACK
        let (px, py) = pixelSize(scan)
        return try withSampleBytes(scan.samples) { pixels in
            var buffer = es_buffer()
            var message = [CChar](repeating: 0, count: Int(ES_MESSAGE_CAPACITY))
            let status = es_tiff_encode(pixels, UInt32(scan.width), UInt32(scan.height),
                                        UInt32(scan.channels), bits, format, cCompression,
                                        gray, px, py, &buffer, &message)
            return try takeBuffer(&buffer, status: status, message: message, format: .tiff)
        }
    }

    /// Encodes `scan` and writes it to `path` atomically: the bytes go to a temporary file in
    /// the same directory, which is synced and then renamed over `path`, so readers never see
    /// a partial file. `tiffCompression` applies to TIFF only.
    ///
    /// - Throws: `EncodeError` (`.unsupported` for JPEG, which EquiScan only reads; `.io` when
    ///   the file cannot be written), naming `path`.
    public static func write(_ scan: Scan, to path: String, format: ImageFormat,
                             tiffCompression: TIFFCompression = .deflate) throws {
        let bytes: [UInt8]
        do {
            switch format {
            case .png: bytes = try encodePNG(scan)
            case .tiff: bytes = try encodeTIFF(scan, compression: tiffCompression)
            case .jpeg:
                throw EncodeError(file: path, format: .jpeg, kind: .unsupported,
                                  message: "JPEG output is not supported (lossy); "
                                      + "write PNG or TIFF")
            }
        } catch var error as EncodeError {
            error.file = path
            throw error
        }
        try AtomicFile.write(bytes, to: path)
    }

    // MARK: - Helpers

    private static func checkGeometry(_ scan: Scan, format: ImageFormat) throws {
        guard scan.width > 0, scan.height > 0, scan.width <= Int(Int32.max),
              scan.height <= Int(Int32.max) else {
            throw EncodeError(file: nil, format: format, kind: .unsupported,
                              message: "image size \(scan.width)x\(scan.height) is outside "
                                  + "1...\(Int32.max) per side")
        }
        guard (1...4).contains(scan.channels) else {
            throw EncodeError(file: nil, format: format, kind: .unsupported,
                              message: "\(scan.channels) channels; expected 1 (gray), "
                                  + "2 (gray+alpha), 3 (RGB) or 4 (RGBA)")
        }
    }

    /// The pixel size to write, or (0, 0) when unknown or not positive and finite.
    private static func pixelSize(_ scan: Scan) -> (Double, Double) {
        guard let size = scan.metadata.pixelSizeMM, size.x.isFinite, size.y.isFinite,
              size.x > 0, size.y > 0 else { return (0, 0) }
        return (size.x, size.y)
    }

    private static func withSampleBytes<R>(
        _ samples: Samples, _ body: (UnsafeRawPointer) throws -> R
    ) throws -> R {
        func run<T>(_ array: [T]) throws -> R {
            try array.withUnsafeBytes { raw in
                // Geometry was checked to be non-empty, so the base address exists.
                try body(raw.baseAddress.unsafelyUnwrapped)
            }
        }
        switch samples {
        case .uint8(let a): return try run(a)
        case .int8(let a): return try run(a)
        case .uint16(let a): return try run(a)
        case .int16(let a): return try run(a)
        case .uint32(let a): return try run(a)
        case .int32(let a): return try run(a)
        case .float32(let a): return try run(a)
        case .float64(let a): return try run(a)
        }
    }

    /// Copies the encoder's malloc'ed output into an array and frees it, or throws the
    /// shim's error.
    private static func takeBuffer(_ buffer: inout es_buffer, status: es_encode_status,
                                   message: [CChar], format: ImageFormat) throws -> [UInt8] {
        defer { es_buffer_free(&buffer) }
        guard status == ES_ENCODE_OK else {
            // The shim always NUL-terminates the message (it is zero-filled beforehand).
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                              as: UTF8.self)
            let kind: EncodeError.Kind
            switch status {
            case ES_ENCODE_MEMORY: kind = .outOfMemory
            case ES_ENCODE_ARGUMENT: kind = .unsupported
            default: kind = .library
            }
            throw EncodeError(file: nil, format: format, kind: kind, message: text)
        }
        guard let data = buffer.data, buffer.size > 0 else {
            throw EncodeError(file: nil, format: format, kind: .library,
                              message: "the encoder produced no bytes")
        }
        return Array(UnsafeBufferPointer(start: data, count: buffer.size))
    }
}
