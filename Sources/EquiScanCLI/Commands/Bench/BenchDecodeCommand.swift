import ArgumentParser
import Foundation
import ImageCodecs

/// `equiscan bench decode`: megapixels per second of `ImageDecoder` (Swift, into a `Scan`)
/// against a plain C loop over the same library calls into a preallocated buffer, on test
/// images generated deterministically in memory. Use a release build.
struct BenchDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Measure PNG/JPEG/TIFF decode speed: Swift decoder vs plain C loop.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Timed decodes per path and image (default 9).")
    var repeats = 9

    func validate() throws {
        guard (1...1000).contains(repeats) else {
            throw ValidationError("--repeats \(repeats): expected a value in 1...1000")
        }
    }

    func run() throws {
        let report = try DecodeBenchmark.run(repeats: repeats)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        func f(_ v: Double) -> String { String(format: "%8.1f", v) }
        func r(_ v: Double) -> String { String(format: "%.3f", v) }
        print("decode benchmark, \(report.repeats) repeats, \(report.configuration) build; "
              + "MP/s best (median); wall clock, then thread CPU time")
        for c in report.cases {
            let name = c.name.padding(toLength: 22, withPad: " ", startingAt: 0)
            print("\(name) wall swift \(f(c.swift.bestMPps)) (\(f(c.swift.medianMPps)))  "
                  + "C \(f(c.c.bestMPps)) (\(f(c.c.medianMPps)))  "
                  + "ratio \(r(c.ratioBest)) (\(r(c.ratioMedian)))")
            print("\(String(repeating: " ", count: 22)) cpu  "
                  + "swift \(f(c.swift.cpuBestMPps)) (\(f(c.swift.cpuMedianMPps)))  "
                  + "C \(f(c.c.cpuBestMPps)) (\(f(c.c.cpuMedianMPps)))  "
                  + "ratio \(r(c.cpuRatioBest)) (\(r(c.cpuRatioMedian)))")
        }
    }
}

/// The measurements of `equiscan bench decode`.
struct DecodeBenchmarkReport: Codable {
    /// Speeds of one decode path, in megapixels (10^6 pixels) per second, from wall-clock
    /// time and from the thread's CPU time (decoding is single-threaded, so CPU time is the
    /// work done, undisturbed by other processes competing for the cores).
    struct Speed: Codable {
        var bestMPps: Double
        var medianMPps: Double
        var cpuBestMPps: Double
        var cpuMedianMPps: Double
    }

    struct Case: Codable {
        var name: String
        var format: String
        var width: Int
        var height: Int
        var channels: Int
        var sampleType: String
        var fileBytes: Int
        /// `ImageDecoder.decode(bytes:name:)`: sniffing, header checks, allocation of the
        /// sample array, decoding, metadata.
        var swift: Speed
        /// The C loop of `es_bench.h` into a buffer allocated once.
        var c: Speed
        /// swift / c, from the best and from the median wall-clock and CPU times.
        var ratioBest: Double
        var ratioMedian: Double
        var cpuRatioBest: Double
        var cpuRatioMedian: Double
    }

    var benchmark = "decode"
    var configuration: String
    var repeats: Int
    var cases: [Case]
}

/// Generates the test images and times both decode paths.
enum DecodeBenchmark {
    /// One test image: its encoded bytes and what decoding it must give.
    private struct Input {
        var name: String
        var format: _DecodeBaseline.Format
        var bytes: [UInt8]
        var width: Int
        var height: Int
        var channels: Int
        var bytesPerSample: Int
    }

    static func run(repeats: Int) throws -> DecodeBenchmarkReport {
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
                  bytes: try _DecodeBaseline.encodeJPEG(rgb, width: big, height: big,
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
                try _DecodeBaseline.decode(input.format, file: file, into: output)
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
            throw CommandFailure(.dataError, "bench decode: \(input.name): the Swift decoder "
                                 + "and the C loop disagree")
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
