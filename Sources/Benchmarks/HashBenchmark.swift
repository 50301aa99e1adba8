import Dispatch
import ImageCodecs
import TensorCore

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
        var generator = SeededGenerator(seed: 0x5A5A)
        var bytes = [UInt8](repeating: 0, count: count)
        for start in stride(from: 0, to: count, by: 8) {
            var word = generator.next()
            for index in start..<min(count, start + 8) {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
            }
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
