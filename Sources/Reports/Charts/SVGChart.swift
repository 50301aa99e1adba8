import Foundation

/// Small self-contained SVG charts (640 × 400, no scripts, no external fonts or links), for
/// training figures and report pages: line charts of series over steps, and bar charts.
/// Every text is escaped with `Markup.escape`; the same input always gives the same bytes.
public enum SVGChart {
    static let width = 640.0, height = 400.0
    static let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
    /// Series colours, in order (matplotlib's first five).
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]

    /// A line chart of one or more series over steps 1…n (training epochs): the y axis spans
    /// the finite values with five labelled grid lines, the x axis labels the first, middle
    /// and last step, and each series is named at the top right in its colour. Non-finite
    /// values are left out of their line.
    public static func lines(title: String, xLabel: String, yLabel: String,
                             series: [(name: String, values: [Double])]) -> String {
        let all = series.flatMap(\.values).filter(\.isFinite)
        var low = all.min() ?? 0
        var high = all.max() ?? 1
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let count = max(series.map(\.values.count).max() ?? 1, 1)
        func x(_ i: Int) -> Double {
            left + (count == 1 ? 0.5 : Double(i) / Double(count - 1)) * (width - left - right)
        }
        func y(_ v: Double) -> Double {
            top + (1 - (v - low) / (high - low)) * (height - top - bottom)
        }
        var svg = frame(title: title)
        for k in 0...4 {
            let v = low + (high - low) * Double(k) / 4
            svg += "<text x=\"\(left - 6)\" y=\(quote(y(v) + 4)) text-anchor=\"end\">"
                + "\(format(v))</text>\n"
            svg += "<line x1=\"\(left)\" y1=\(quote(y(v))) x2=\"\(width - right)\" "
                + "y2=\(quote(y(v))) stroke=\"#ddd\"/>\n"
        }
        let ticks = Array(Set([0, (count - 1) / 2, count - 1])).sorted()
        for i in ticks {
            svg += "<text x=\(quote(x(i))) y=\"\(height - bottom + 18)\" text-anchor=\"middle\">"
                + "\(i + 1)</text>\n"
        }
        svg += axisLabels(xLabel: xLabel, yLabel: yLabel)
        for (index, s) in series.enumerated() {
            let colour = colours[index % colours.count]
            let points = s.values.enumerated().filter { $0.element.isFinite }
                .map { String(format: "%.1f,%.1f", x($0.offset), y($0.element)) }
                .joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" "
                + "points=\"\(points)\"/>\n"
            svg += legend(s.name, index: index)
        }
        return svg + "</svg>\n"
    }

    /// The opening of a chart: the `svg` element, a white background, the title and the two
    /// axes.
    static func frame(title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="15">\
        \(Markup.escape(title))</text>
        <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" \
        stroke="black"/>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="black"/>

        """
    }

    /// The axis titles: x centred below the axis, y turned along the left edge.
    static func axisLabels(xLabel: String, yLabel: String) -> String {
        "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 10))\" text-anchor=\"middle\">"
            + "\(Markup.escape(xLabel))</text>\n"
            + "<text x=\"16\" y=\"\(Int(height / 2))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 16 \(Int(height / 2)))\">\(Markup.escape(yLabel))</text>\n"
    }

    /// Series `index`'s name at the top right, in its colour.
    static func legend(_ name: String, index: Int) -> String {
        "<text x=\"\(width - right - 4)\" y=\"\(top + 14 + 16 * Double(index))\" "
            + "text-anchor=\"end\" fill=\"\(colours[index % colours.count])\">"
            + "\(Markup.escape(name))</text>\n"
    }

    /// `v` with 6 significant digits.
    static func format(_ v: Double) -> String { String(format: "%.6g", v) }

    /// `v` with one decimal, in quotes: an attribute value.
    static func quote(_ v: Double) -> String { String(format: "\"%.1f\"", v) }
}
