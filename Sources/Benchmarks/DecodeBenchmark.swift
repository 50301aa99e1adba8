import Foundation
import ImageCodecs

/// The measurements of `equiscan bench decode`.
public struct DecodeBenchmarkReport: Codable, Sendable {
    /// Speeds of one decode path, in megapixels (10^6 pixels) per second, from wall-clock
    /// time and from the thread's CPU time (decoding is single-threaded, so CPU time is the
    /// work done, undisturbed by other processes competing for the cores).
    public struct Speed: Codable, Sendable {
        public var bestMPps: Double
        public var medianMPps: Double
        public var cpuBestMPps: Double
        public var cpuMedianMPps: Double
    }

    public struct Case: Codable, Sendable {
        public var name: String
        public var format: String
        public var width: Int
        public var height: Int
        public var channels: Int
        public var sampleType: String
        public var fileBytes: Int
        /// `ImageDecoder.decode(bytes:name:)`: sniffing, header checks, allocation of the
        /// sample array, decoding, metadata.
        public var swift: Speed
        /// The C loop of `es_bench.h` into a buffer allocated once.
        public var c: Speed
        /// swift / c, from the best and from the median wall-clock and CPU times.
        public var ratioBest: Double
        public var ratioMedian: Double
        public var cpuRatioBest: Double
        public var cpuRatioMedian: Double
    }

    public var benchmark = "decode"
    public var configuration: String
    public var repeats: Int
    public var cases: [Case]
}

/// Generates the test images and times both decode paths.
public enum DecodeBenchmark {
    /// One test image: its encoded bytes and what decoding it must give.
    private struct Input {
        var name: String
        var format: DecodeBaseline.Format
        var bytes: [UInt8]
        var width: Int
        var height: Int
        var channels: Int
        var bytesPerSample: Int
    }

    public static func run(repeats: Int) throws -> DecodeBenchmarkReport {
        #if DEBUG
        let configuration = "debug"
        #else
        let configuration = "release"
        #endif
        let cases = try makeInputs().map { try measure($0, repeats: repeats) }
        return DecodeBenchmarkReport(configuration: configuration, repeats: repeats,
                                     cases: cases)
    }

    // MARK: - Test images

    /// A deterministic scan-like value in 0...1 at (x, y), channel c: smooth structures plus
    /// a little noise, so that compressors see realistic (neither flat nor random) data.
    private static func texture(_ x: Int, _ y: Int, _ c: Int) -> Double {
        let fx = Double(x), fy = Double(y), fc = Double(c)
        let smooth = 0.5 + 0.25 * sin(fx / 37 + fc) * cos(fy / 53 - fc)
            + 0.15 * sin((fx + fy) / 211 + 2 * fc)
        var h = UInt64(truncatingIfNeeded: x &* 73_856_093 ^ y &* 19_349_663 ^ c &* 83_492_791)
        h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        let noise = (Double(h & 0xffff) / 65535 - 0.5) * 0.06
        return min(1, max(0, smooth + noise))
    }

    private static func pixels8(width: Int, height: Int, channels: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    out[(y * width + x) * channels + c] = UInt8(texture(x, y, c) * 255)
                }
            }
        }
        return out
    }

    /// 12 significant bits, as in most CT and MR slices stored in 16 bits.
    private static func pixels16(width: Int, height: Int) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                out[y * width + x] = UInt16(texture(x, y, 0) * 4095)
            }
        }
        return out
    }

    private static func makeInputs() throws -> [Input] {
        func gray(_ samples: Samples, _ side: Int, bits: Int) -> Scan {
            Scan(width: side, height: side, channels: 1, samples: samples,
                 metadata: ScanMetadata(format: .png, colorModel: .minIsBlack,
                                        bitsPerSample: bits))
        }
        let big = 2048
        let gray8 = gray(.uint8(pixels8(width: big, height: big, channels: 1)), big, bits: 8)
        let gray16Small = gray(.uint16(pixels16(width: 512, height: 512)), 512, bits: 16)
        let gray16Big = gray(.uint16(pixels16(width: big, height: big)), big, bits: 16)
        let rgb = pixels8(width: big, height: big, channels: 3)
        return [
            Input(name: "png-gray8-2048", format: .png,
                  bytes: try ImageEncoder.encodePNG(gray8),
                  width: big, height: big, channels: 1, bytesPerSample: 1),
            Input(name: "png-gray16-512", format: .png,
                  bytes: try ImageEncoder.encodePNG(gray16Small),
                  width: 512, height: 512, channels: 1, bytesPerSample: 2),
            Input(name: "jpeg-rgb-q90-2048", format: .jpeg,
                  bytes: try DecodeBaseline.encodeJPEG(rgb, width: big, height: big,
                                                        channels: 3, quality: 90),
                  width: big, height: big, channels: 3, bytesPerSample: 1),
            Input(name: "tiff-gray16-none-2048", format: .tiff,
                  bytes: try ImageEncoder.encodeTIFF(gray16Big, compression: .none),
                  width: big, height: big, channels: 1, bytesPerSample: 2),
            Input(name: "tiff-gray16-lzw-2048", format: .tiff,
                  bytes: try ImageEncoder.encodeTIFF(gray16Big, compression: .lzw),
                  width: big, height: big, channels: 1, bytesPerSample: 2),
        ]
    }

    // MARK: - Timing

    /// A timing: wall-clock and calling-thread CPU seconds.
    private struct Timing {
        var wall: Double
        var cpu: Double
    }

    private static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private static func time(_ body: () throws -> Void) rethrows -> Timing {
        let cpuStart = threadCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Timing(wall: wall, cpu: threadCPUSeconds() - cpuStart)
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    private static func measure(_ input: Input, repeats: Int) throws
        -> DecodeBenchmarkReport.Case {
        let outputBytes = input.width * input.height * input.channels * input.bytesPerSample
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: outputBytes,
                                                            alignment: 64)
        defer { output.deallocate() }
        let bytes = input.bytes
        func decodeC() throws {
            try bytes.withUnsafeBytes { file in
                try DecodeBaseline.decode(input.format, file: file, into: output)
            }
        }
        func decodeSwift() throws -> Scan {
            try ImageDecoder.decode(bytes: bytes, name: input.name)
        }

        // Both paths must do the same work: identical samples.
        try decodeC()
        let scan = try decodeSwift()
        let same = scan.samples.withRawBytes { swiftBytes in
            swiftBytes.elementsEqual(UnsafeRawBufferPointer(output))
        }
        guard same, scan.width == input.width, scan.height == input.height,
              scan.channels == input.channels else {
            throw DecodeBaseline.Failure(description: "bench decode: \(input.name): the Swift "
                                         + "decoder and the C loop disagree")
        }

        var swiftTimes: [Timing] = []
        var cTimes: [Timing] = []
        for _ in 0..<repeats {
            // Alternate the paths so that clock or thermal drift affects both alike.
            cTimes.append(try time { try decodeC() })
            swiftTimes.append(try time { _ = try decodeSwift() })
        }
        let megapixels = Double(input.width * input.height) / 1e6
        func speed(_ times: [Timing]) -> DecodeBenchmarkReport.Speed {
            let wall = times.map(\.wall)
            let cpu = times.map(\.cpu)
            return .init(bestMPps: megapixels / (wall.min() ?? .infinity),
                         medianMPps: megapixels / median(wall),
                         cpuBestMPps: megapixels / (cpu.min() ?? .infinity),
                         cpuMedianMPps: megapixels / median(cpu))
        }
        let swift = speed(swiftTimes)
        let c = speed(cTimes)
        return DecodeBenchmarkReport.Case(
            name: input.name, format: "\(input.format)", width: input.width,
            height: input.height, channels: input.channels,
            sampleType: scan.samples.sampleType.rawValue, fileBytes: bytes.count,
            swift: swift, c: c, ratioBest: swift.bestMPps / c.bestMPps,
            ratioMedian: swift.medianMPps / c.medianMPps,
            cpuRatioBest: swift.cpuBestMPps / c.cpuBestMPps,
            cpuRatioMedian: swift.cpuMedianMPps / c.cpuMedianMPps)
    }
}

extension Samples {
    /// Calls `body` with the samples' memory (host byte order).
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .uint8(let a): return a.withUnsafeBytes(body)
        case .int8(let a): return a.withUnsafeBytes(body)
        case .uint16(let a): return a.withUnsafeBytes(body)
        case .int16(let a): return a.withUnsafeBytes(body)
        case .uint32(let a): return a.withUnsafeBytes(body)
        case .int32(let a): return a.withUnsafeBytes(body)
        case .float32(let a): return a.withUnsafeBytes(body)
        case .float64(let a): return a.withUnsafeBytes(body)
        }
    }
}
