import Foundation

/// Order statistics shared by normalisation, metrics and reports.
public enum Statistics {
    /// The `q`-th percentile (`q` in 0...100) of ascending `sorted` values, interpolated
    /// linearly between the closest ranks (NumPy's default, "linear").
    public static func percentile<Value: BinaryFloatingPoint>(sorted: [Value],
                                                              _ q: Double) -> Value {
        precondition(!sorted.isEmpty, "percentile of no values")
        let position = q / 100 * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        let fraction = Value(position - Double(low))
        return sorted[low] + (sorted[high] - sorted[low]) * fraction
    }
}

/// Intensity normalisations of one image's samples, shared by model inputs
/// (`InputSpec.normalization`) and the canonicalizer's scorer preprocessing.
public enum IntensityMapping {
    /// Clip to [low, high] and map onto [0, 1]; an empty window (high ≤ low) gives zeros.
    public static func window(_ values: [Float], low: Float, high: Float) -> [Float] {
        guard high > low else { return [Float](repeating: 0, count: values.count) }
        let scale = 1 / (high - low)
        return values.map { (min(max($0, low), high) - low) * scale }
    }

    /// Samples clamped to [0, 1] and raised to `exponent`: the gamma of inputs already mapped
    /// onto [0, 1] (training's gamma jitter, a canonicalizer's view exponents).
    public static func clampedPower(_ values: [Float], exponent: Float) -> [Float] {
        values.map { pow(min(max($0, 0), 1), exponent) }
    }

    /// The window from the smallest to the largest sample.
    public static func minMax(_ values: [Float]) -> [Float] {
        window(values, low: values.min() ?? 0, high: values.max() ?? 0)
    }

    /// (v − mean) / std with mean and variance accumulated in Double; a constant image gives
    /// zeros.
    public static func zScore(_ values: [Float]) -> [Float] {
        let n = Double(max(values.count, 1))
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        let std = variance.squareRoot()
        return values.map { std > 0 ? Float((Double($0) - mean) / std) : 0 }
    }

    /// The window between the `lower` and `upper` percentiles (0...100), interpolated in
    /// `Precision` (model inputs use Double, the scorer Float; both kept as trained).
    public static func percentileWindow<Precision: BinaryFloatingPoint>(
        _ values: [Float], lower: Double, upper: Double, precision: Precision.Type
    ) -> [Float] {
        guard !values.isEmpty else { return values }
        let sorted = values.map { Precision($0) }.sorted()
        return window(values, low: Float(Statistics.percentile(sorted: sorted, lower)),
                      high: Float(Statistics.percentile(sorted: sorted, upper)))
    }
}
