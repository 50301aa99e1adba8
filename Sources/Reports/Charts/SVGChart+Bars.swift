import Foundation

extension SVGChart {
    /// A bar chart: one group per category along x, one bar per series in each group, from 0
    /// up to the value, on a y axis from 0 to a round number (`gridStep`) with five labelled
    /// grid lines. Each bar carries a `<title>` with its category, series and value (shown on
    /// hover); categories are labelled below the axis, every k-th when their labels would
    /// overlap. Series are named in a row above the plot when there is more than one.
    public static func bars(title: String, xLabel: String, yLabel: String,
                            categories: [String],
                            series: [(name: String, values: [Double])]) -> String {
        let finite = series.flatMap(\.values).filter(\.isFinite)
        let step = gridStep(max(finite.max() ?? 0, 0) / 4)
        let high = step * 4
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        func y(_ v: Double) -> Double { top + (1 - min(v, high) / high) * plotHeight }
        var svg = frame(title: title)
        for k in 0...4 {
            let v = step * Double(k)
            svg += "<text x=\"\(left - 6)\" y=\(quote(y(v) + 4)) text-anchor=\"end\">"
                + "\(format(v))</text>\n"
            svg += "<line x1=\"\(left)\" y1=\(quote(y(v))) x2=\"\(width - right)\" "
                + "y2=\(quote(y(v))) stroke=\"#ddd\"/>\n"
        }
        let slot = plotWidth / Double(max(categories.count, 1))
        let barWidth = slot * 0.8 / Double(max(series.count, 1))
        // 10-pixel labels take about 6 pixels a character; keep 8 pixels between them.
        let widest = Double(categories.map(\.count).max() ?? 0) * 6 + 8
        let labelEvery = max(1, Int((widest / slot).rounded(.up)))
        for (c, category) in categories.enumerated() {
            let start = left + slot * Double(c) + slot * 0.1
            for (s, item) in series.enumerated() {
                let value = c < item.values.count && item.values[c].isFinite ? item.values[c] : 0
                let x = start + barWidth * Double(s)
                svg += "<rect x=\(quote(x)) y=\(quote(y(value))) width=\(quote(barWidth)) "
                    + "height=\(quote(y(0) - y(value))) "
                    + "fill=\"\(colours[s % colours.count])\"><title>"
                    + Markup.escape("\(category)\(series.count > 1 ? " " + item.name : ""): "
                                    + format(value))
                    + "</title></rect>\n"
            }
            if c % labelEvery == 0 {
                svg += "<text x=\(quote(start + slot * 0.4)) y=\"\(height - bottom + 16)\" "
                    + "text-anchor=\"middle\" font-size=\"10\">\(Markup.escape(category))"
                    + "</text>\n"
            }
        }
        svg += axisLabels(xLabel: xLabel, yLabel: yLabel)
        if series.count > 1 {
            var x = left
            for (index, item) in series.enumerated() {
                svg += "<rect x=\(quote(x)) y=\"\(top - 13)\" width=\"10\" height=\"10\" "
                    + "fill=\"\(colours[index % colours.count])\"/>\n"
                svg += "<text x=\(quote(x + 14)) y=\"\(top - 4)\">\(Markup.escape(item.name))"
                    + "</text>\n"
                x += 14 + Double(item.name.count) * 7 + 16
            }
        }
        return svg + "</svg>\n"
    }

    /// The grid step of an axis whose steps must reach `least`: the smallest of 1, 2, 2.5, 3,
    /// 4, 5, 6, 8 times a power of ten that is at least `least` (1 when `least` is 0), so the
    /// labels are round numbers.
    static func gridStep(_ least: Double) -> Double {
        guard least > 0, least.isFinite else { return 1 }
        let power = pow(10, (log10(least)).rounded(.down))
        for factor in [1, 2, 2.5, 3, 4, 5, 6, 8, 10] where factor * power >= least * (1 - 1e-12) {
            return factor * power
        }
        return 10 * power
    }

    /// A bin edge for a label: whole numbers from 100 on, else 3 significant digits.
    static func edgeLabel(_ value: Double) -> String {
        abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value)
    }

    /// `values` counted in `bins` equal bins from `range`'s bounds (default: the smallest to
    /// the largest value); a value on an inner edge goes to the upper bin, the top edge to the
    /// last. Categories name each bin's lower edge (`edgeLabel`).
    public static func histogram(_ values: [Double], bins: Int,
                                 range: ClosedRange<Double>? = nil)
        -> (categories: [String], counts: [Double]) {
        precondition(bins >= 1, "a histogram needs at least one bin, got \(bins)")
        let finite = values.filter(\.isFinite)
        let low = range?.lowerBound ?? finite.min() ?? 0
        var high = range?.upperBound ?? finite.max() ?? 1
        if high <= low { high = low + 1 }
        let step = (high - low) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        for value in finite where value >= low && value <= high {
            counts[min(Int((value - low) / step), bins - 1)] += 1
        }
        let categories = (0..<bins).map { edgeLabel(low + step * Double($0)) }
        return (categories, counts)
    }
}
