import CBenchmarks
import CCodecShims

/// The plain-C decode loops and the JPEG test-image encoder that
/// `equiscan bench decode` compares `ImageDecoder` against (see `es_bench.h`).
public enum DecodeBaseline {
    /// A baseline call that failed, with the library's message.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Baseline JPEG of 8-bit gray (1 channel) or RGB (3 channels) samples at `quality`.
    public static func encodeJPEG(_ pixels: [UInt8], width: Int, height: Int, channels: Int,
                                  quality: Int) throws -> [UInt8] {
        precondition(pixels.count == width * height * channels,
                     "encodeJPEG needs width × height × channels samples")
        var buffer = es_buffer()
        var message = [CChar](repeating: 0, count: Int(ES_MESSAGE_CAPACITY))
        let status = pixels.withUnsafeBufferPointer { p in
            es_bench_encode_jpeg(p.baseAddress, UInt32(width), UInt32(height), UInt32(channels),
                                 Int32(quality), &buffer, &message)
        }
        defer { es_buffer_free(&buffer) }
        guard status == 0, let data = buffer.data else { throw failure(message) }
        return Array(UnsafeBufferPointer(start: data, count: buffer.size))
    }

    /// The file formats with a baseline loop.
    public enum Format: Sendable {
        case png, jpeg, tiff
    }

    /// Decodes `file` into `output` with the plain C loop for `format`.
    public static func decode(_ format: Format, file: UnsafeRawBufferPointer,
                              into output: UnsafeMutableRawBufferPointer) throws {
        var message = [CChar](repeating: 0, count: Int(ES_MESSAGE_CAPACITY))
        let data = file.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let status: Int32
        switch format {
        case .png:
            status = es_bench_decode_png(data, file.count, output.baseAddress, output.count,
                                         &message)
        case .jpeg:
            status = es_bench_decode_jpeg(data, file.count, output.baseAddress, output.count,
                                          &message)
        case .tiff:
            status = es_bench_decode_tiff(data, file.count, output.baseAddress, output.count,
                                          &message)
        }
        guard status == 0 else { throw failure(message) }
    }

    private static func failure(_ message: [CChar]) -> Failure {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                          as: UTF8.self)
        return Failure(description: text.isEmpty ? "baseline failed" : text)
    }
}
