import TensorCore

/// A two-sided confidence interval of a metric.
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    public var low: Double
    public var high: Double

    public init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }
}

/// How `evaluate`'s confidence intervals were made; reported beside them.
public struct BootstrapSettings: Codable, Sendable, Equatable {
    /// Resampled sets drawn [1000].
    public var resamples: Int
    /// Seed of the draws [0], so a report can be reproduced.
    public var seed: UInt64
    /// Coverage of the interval [0.95].
    public var level: Double
    /// What one draw picks: "case" (a scan with its label) or "scan" (an orientation scan
    /// with all its turned copies, which are not independent cases).
    public var unit: String
    /// "percentile": the (1 − level)/2 and (1 + level)/2 quantiles of the resampled metric.
    public var method: String

    public init(resamples: Int = 1000, seed: UInt64 = 0, level: Double = 0.95,
                unit: String = "case") {
        precondition(resamples >= 1 && level > 0 && level < 1,
                     "a bootstrap needs at least one resample and a level in (0, 1), got "
                     + "\(resamples) and \(level)")
        self.resamples = resamples
        self.seed = seed
        self.level = level
        self.unit = unit
        self.method = "percentile"
    }
}

/// Percentile bootstrap over cases (Efron & Tibshirani 1993, ch. 13).
public enum Bootstrap {
    /// Intervals of several metrics of the same `count` units: `settings.resamples` times,
    /// `count` unit indices are drawn uniformly with replacement (`SeededGenerator(seed:)`,
    /// `nextInt(below: count)`, in order), and `metrics` computes every metric on the drawn
    /// units (repeats included). A metric's interval runs between the (1 − level)/2 and
    /// (1 + level)/2 percentiles (linear interpolation, `Statistics.percentile`) of its values
    /// over the resamples where it is defined; nil when it is defined in none. No units: no
    /// intervals.
    public static func intervals(count: Int, settings: BootstrapSettings,
                                 metrics: ([Int]) -> [String: Double?])
        -> [String: ConfidenceInterval?] {
        guard count > 0 else { return [:] }
        var generator = SeededGenerator(seed: settings.seed)
        var values: [String: [Double]] = [:]
        for _ in 0..<settings.resamples {
            let drawn = (0..<count).map { _ in generator.nextInt(below: count) }
            for (name, value) in metrics(drawn) {
                values[name, default: []].append(contentsOf: value.map { [$0] } ?? [])
            }
        }
        let tail = (1 - settings.level) / 2 * 100
        return values.mapValues { samples -> ConfidenceInterval? in
            guard !samples.isEmpty else { return nil }
            let sorted = samples.sorted()
            return ConfidenceInterval(low: Statistics.percentile(sorted: sorted, tail),
                                      high: Statistics.percentile(sorted: sorted, 100 - tail))
        }
    }
}
