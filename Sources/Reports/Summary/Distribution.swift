/// Summary statistics of a set of values, as `summary.json` gives them for areas and
/// confidences.
///
/// Percentiles interpolate linearly between the closest ranks (NumPy's default, "linear",
/// the same rule as `TensorCore.Statistics.percentile`, which this Foundation-only module
/// cannot import); `std` is the population standard deviation (NumPy's `ddof=0`).
public struct Distribution: Sendable, Equatable, Codable {
    public var count: Int
    public var mean: Double
    public var median: Double
    public var min: Double
    public var max: Double
    public var p5: Double
    public var p95: Double
    public var std: Double

    /// The statistics of `values`; nil when there are none.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        count = sorted.count
        let mean = sorted.reduce(0, +) / Double(count)
        self.mean = mean
        median = Self.percentile(sorted: sorted, 50)
        min = sorted[0]
        max = sorted[count - 1]
        p5 = Self.percentile(sorted: sorted, 5)
        p95 = Self.percentile(sorted: sorted, 95)
        std = (sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)).squareRoot()
    }

    /// The `q`-th percentile (0...100) of ascending `sorted`, which must not be empty.
    public static func percentile(sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty, "percentile of no values")
        let rank = q / 100 * Double(sorted.count - 1)
        let below = Int(rank)
        guard below + 1 < sorted.count else { return sorted[below] }
        return sorted[below] + (rank - Double(below)) * (sorted[below + 1] - sorted[below])
    }
}

/// How long something took over many cases, in seconds: the figures a throughput or latency
/// question needs.
public struct Timing: Sendable, Equatable, Codable {
    public var count: Int
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var max: Double
    /// Seconds summed over the cases.
    public var total: Double

    /// The timing of `seconds`; nil when there are none.
    public init?(_ seconds: [Double]) {
        guard !seconds.isEmpty else { return nil }
        let sorted = seconds.sorted()
        count = sorted.count
        total = sorted.reduce(0, +)
        mean = total / Double(count)
        p50 = Distribution.percentile(sorted: sorted, 50)
        p90 = Distribution.percentile(sorted: sorted, 90)
        p95 = Distribution.percentile(sorted: sorted, 95)
        p99 = Distribution.percentile(sorted: sorted, 99)
        max = sorted[count - 1]
    }
}
