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
