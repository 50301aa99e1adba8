import CCodecShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes PNG, JPEG and TIFF files into `Scan`s through libpng, libjpeg-turbo and libtiff.
///
/// The format comes from the magic bytes only. Every failure is a `CodecError` naming the file,
/// the codec and the library's message; the declared size is checked against
/// `DecodeOptions.pixelLimit` before any pixel buffer is allocated.
public enum ImageDecoder {
    /// Reads the file at `path` and decodes it.
    public static func decode(path: String, options: DecodeOptions = .init()) throws -> Scan {
        let bytes = try readFile(path)
        return try decode(bytes: bytes, name: path, options: options)
    }

    /// Decodes an in-memory file; `name` is used in error messages only.
    public static func decode(bytes: [UInt8], name: String,
                              options: DecodeOptions = .init()) throws -> Scan {
        if bytes.isEmpty {
            throw CodecError(file: name, codec: nil, kind: .empty, message: "the file is empty")
        }
        guard let format = sniff(bytes) else {
            throw CodecError(file: name, codec: nil, kind: .notAnImage,
                             message: "no PNG, JPEG or TIFF signature in the first bytes "
                                 + "(\(hexPrefix(bytes)))")
        }
        let context = DecodeContext(name: name, format: format, options: options)
        var scan = try bytes.withUnsafeBufferPointer { buffer -> Scan in
            switch format {
            case .png: return try PNGReader.decode(buffer, context)
            case .jpeg: return try JPEGReader.decode(buffer, context)
            case .tiff: return try TIFFReader.decode(buffer, context)
            }
        }
        if let value = scan.metadata.orientation, options.applyOrientation {
            scan = scan.applyingOrientation(value)
        }
        return scan
    }

    /// The format announced by the magic bytes, or nil. The file name is never consulted.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, Array(bytes[0..<8]) == png {
            return .png
        }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return .jpeg
        }
        if bytes.count >= 4 {
            let little = bytes[0] == 0x49 && bytes[1] == 0x49 && bytes[3] == 0x00
                && (bytes[2] == 42 || bytes[2] == 43)
            let big = bytes[0] == 0x4D && bytes[1] == 0x4D && bytes[2] == 0x00
                && (bytes[3] == 42 || bytes[3] == 43)
            if little || big {
                return .tiff
            }
        }
        return nil
    }

    private static func hexPrefix(_ bytes: [UInt8]) -> String {
        bytes.prefix(8).map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }

    /// Reads a whole file into memory; the decoders work from memory.
    static func readFile(_ path: String) throws -> [UInt8] {
        func ioError(_ what: String) -> CodecError {
            let reason = String(cString: strerror(errno))
            return CodecError(file: path, codec: nil, kind: .io, message: "\(what): \(reason)")
        }
        guard let file = fopen(path, "rb") else {
            throw ioError("cannot open")
        }
        defer { fclose(file) }
        var status = stat()
        guard fstat(fileno(file), &status) == 0 else { throw ioError("cannot stat") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw CodecError(file: path, codec: nil, kind: .io, message: "not a regular file")
        }
        let size = Int(status.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            guard size > 0, let base = buffer.baseAddress else { return }
            count = fread(base, 1, size, file)
            failed = count != size
        }
        if failed {
            throw ioError("short read (\(bytes.count) of \(size) bytes)")
        }
        return bytes
    }
}

/// What every format reader needs besides the bytes.
struct DecodeContext {
    var name: String
    var format: ImageFormat
    var options: DecodeOptions

    func error(_ kind: CodecError.Kind, _ message: String) -> CodecError {
        CodecError(file: name, codec: format, kind: kind, message: message)
    }

    /// Maps a shim status onto a `CodecError` carrying the library's message.
    func error(_ status: es_status, _ message: UnsafePointer<CChar>?) -> CodecError {
        let text = message.map { String(cString: $0) } ?? ""
        let kind: CodecError.Kind
        switch status {
        case ES_ERR_TRUNCATED: kind = .truncated
        case ES_ERR_UNSUPPORTED: kind = .unsupported
        case ES_ERR_TOO_LARGE: kind = .tooLarge
        case ES_ERR_PAGE: kind = .pageOutOfRange
        case ES_ERR_MEMORY: kind = .outOfMemory
        default: kind = .corrupt
        }
        return error(kind, text.isEmpty ? "decoder failed without a message" : text)
    }

    /// Refuses headers whose pixel count exceeds the limit or whose buffer size overflows.
    /// Returns the buffer's row size in bytes.
    func checkSize(_ info: es_image_info) throws -> Int {
        let width = Int(info.width)
        let height = Int(info.height)
        guard width > 0, height > 0, info.channels > 0 else {
            throw error(.corrupt, "image has zero size (\(width) x \(height), "
                        + "\(info.channels) channels)")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > options.pixelLimit {
            throw error(.tooLarge, "header declares \(width) x \(height) pixels, more than the "
                        + "limit of \(options.pixelLimit)")
        }
        let (row, o1) = width.multipliedReportingOverflow(
            by: Int(info.channels) * Int(info.bytes_per_sample))
        let (total, o2) = row.multipliedReportingOverflow(by: height)
        // Many channels can blow up a small pixel count (TIFF allows 65535 samples per pixel);
        // the buffer may hold at most the pixel limit times four float64 channels.
        let (byteLimit, o3) = options.pixelLimit.multipliedReportingOverflow(by: 32)
        if o1 || o2 || (!o3 && total > byteLimit) {
            throw error(.tooLarge, "header declares \(width) x \(height) x \(info.channels) "
                        + "samples of \(info.bytes_per_sample) bytes, more than the limit of "
                        + "\(options.pixelLimit) pixels x 32 bytes")
        }
        return row
    }

    /// Allocates the sample array for `info` and lets `fill` decode into it without an
    /// intermediate copy. `fill` returns the shim's status.
    func samples(_ info: es_image_info, rowBytes: Int,
                 fill: (UnsafeMutableRawPointer) -> es_status,
                 message: () -> UnsafePointer<CChar>?) throws -> Samples {
        let count = Int(info.width) * Int(info.height) * Int(info.channels)
        var status = ES_OK
        func make<T>(_ type: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = 0
                guard let base = buffer.baseAddress else { return }
                status = fill(UnsafeMutableRawPointer(base))
                // Trivial types: on failure the partly written buffer is simply dropped.
                initialized = status == ES_OK ? count : 0
            }
        }
        let result: Samples
        switch (info.sample_kind, info.bytes_per_sample) {
        case (ES_SAMPLE_UINT, 1): result = .uint8(make(UInt8.self))
        case (ES_SAMPLE_INT, 1): result = .int8(make(Int8.self))
        case (ES_SAMPLE_UINT, 2): result = .uint16(make(UInt16.self))
        case (ES_SAMPLE_INT, 2): result = .int16(make(Int16.self))
        case (ES_SAMPLE_UINT, 4): result = .uint32(make(UInt32.self))
        case (ES_SAMPLE_INT, 4): result = .int32(make(Int32.self))
        case (ES_SAMPLE_FLOAT, 4): result = .float32(make(Float.self))
        case (ES_SAMPLE_FLOAT, 8): result = .float64(make(Double.self))
        default:
            throw error(.unsupported, "no sample type for kind \(info.sample_kind.rawValue) "
                        + "with \(info.bytes_per_sample) bytes")
        }
        if status != ES_OK {
            throw error(status, message())
        }
        return result
    }

    /// The pixel size stated by the header, if any.
    func pixelSize(_ info: es_image_info) -> PixelSize? {
        guard info.has_pixel_size != 0, info.pixel_size_x_mm.isFinite,
              info.pixel_size_y_mm.isFinite, info.pixel_size_x_mm > 0,
              info.pixel_size_y_mm > 0 else { return nil }
        return PixelSize(x: info.pixel_size_x_mm, y: info.pixel_size_y_mm)
    }
}
