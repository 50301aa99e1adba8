import Foundation
import ModelRuntime
import SafeFiles
import StrictJSON

/// One finished epoch: what `training-log.csv` holds per row.
public struct EpochRecord: Codable, Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    public var learningRate: Double
    /// Mean training loss over the epoch's steps.
    public var trainLoss: Double
    public var validationLoss: Double
    /// Validation metrics by name.
    public var metrics: [String: Double]
    /// Wall-clock seconds of the epoch (training and validation).
    public var seconds: Double
    /// Training images per second.
    public var imagesPerSecond: Double

    /// Equality of everything but timings (which differ between otherwise identical runs).
    public func sameResults(as other: EpochRecord) -> Bool {
        epoch == other.epoch && learningRate == other.learningRate
            && trainLoss == other.trainLoss && validationLoss == other.validationLoss
            && metrics == other.metrics
    }
}

/// Renders the training log as CSV and as simple SVG line charts.
public enum TrainingLog {
    /// CSV with a header; metric columns in sorted name order.
    public static func csv(_ records: [EpochRecord]) -> String {
        let metricNames = Array(Set(records.flatMap(\.metrics.keys))).sorted()
        var lines = [(["epoch", "learningRate", "trainLoss", "validationLoss"] + metricNames
                      + ["seconds", "imagesPerSecond"]).joined(separator: ",")]
        for r in records {
            var fields = ["\(r.epoch)", format(r.learningRate), format(r.trainLoss),
                          format(r.validationLoss)]
            fields += metricNames.map { r.metrics[$0].map(format) ?? "" }
            fields += [String(format: "%.2f", r.seconds), String(format: "%.1f", r.imagesPerSecond)]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ x: Double) -> String { String(format: "%.6g", x) }

    /// An SVG line chart of one or more series over epochs.
    public static func svg(title: String, yLabel: String,
                           series: [(name: String, values: [Double])]) -> String {
        let width = 640.0, height = 400.0
        let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
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
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="15">\
        \(escape(title))</text>
        <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" \
        stroke="black"/>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="black"/>

        """
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
        svg += "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 10))\" text-anchor=\"middle\">"
            + "epoch</text>\n"
        svg += "<text x=\"16\" y=\"\(Int(height / 2))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 16 \(Int(height / 2)))\">\(escape(yLabel))</text>\n"
        for (index, s) in series.enumerated() {
            let colour = colours[index % colours.count]
            let points = s.values.enumerated().filter { $0.element.isFinite }
                .map { String(format: "%.1f,%.1f", x($0.offset), y($0.element)) }
                .joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" "
                + "points=\"\(points)\"/>\n"
            svg += "<text x=\"\(width - right - 4)\" y=\"\(top + 14 + 16 * Double(index))\" "
                + "text-anchor=\"end\" fill=\"\(colour)\">\(escape(s.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func quote(_ v: Double) -> String { String(format: "\"%.1f\"", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
