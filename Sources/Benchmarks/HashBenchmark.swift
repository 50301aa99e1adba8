import Dispatch
import ImageCodecs

/// Throughput of `ContentHash` (SHA-256 of inputs and weights) on a deterministic buffer.
public enum HashBenchmark {
    /// What `equiscan bench hash` reports.
    public struct Report: Codable, Sendable {
        public var benchmark = "hash"
        public var algorithm = "SHA-256 (swift-crypto)"
        public var megabytes: Int
        public var rounds: Int
        /// Best and median throughput in MB/s (10^6 bytes per second).
        public var bestMBps: Double
        public var medianMBps: Double
    }

    /// Hashes `megabytes` MB `rounds` times.
    public static func run(megabytes: Int = 64, rounds: Int = 5) -> Report {
        let count = megabytes * 1_000_000
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<count).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        var rates: [Double] = []
        var digests = Set<String>()
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            digests.insert(ContentHash.hex(bytes))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(count) / 1e6 / seconds)
        }
        precondition(digests.count == 1, "the same bytes must hash the same every round")
        rates.sort()
        return Report(megabytes: megabytes, rounds: rounds, bestMBps: rates[rates.count - 1],
                      medianMBps: rates[rates.count / 2])
    }
}
