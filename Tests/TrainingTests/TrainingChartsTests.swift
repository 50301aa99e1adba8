import Foundation
import Reports
import XCTest
import _TestSupport

/// The line charts training writes (`loss.svg`, `metrics.svg`) are byte for byte what they
/// were before the charts moved from Training's `TrainingLog` into Reports: the golden files in
/// `Tests/Fixtures/charts` were written by the earlier `TrainingLog.svg` from the series below.
final class TrainingChartsTests: XCTestCase {
    typealias Series = [(name: String, values: [Double])]

    /// The charts of the golden files: NaN gaps, six series (colours wrap after five), a single
    /// epoch, an empty series and a constant one, and a title that needs escaping.
    static func goldenCharts()
        -> [(file: String, title: String, yLabel: String, series: Series)] {
        let train: [Double] = [0.728888, 0.342584, 0.2, 0.15, 0.11, 0.09, 0.08, 0.07, 0.065]
        let validation: [Double] = [0.80292, 0.239095, 0.25, .nan, 0.12, 0.1, 0.095, 0.09,
                                    0.0307158]
        var metrics: Series = []
        for k in 0..<6 {
            var values: [Double] = []
            for epoch in 0..<31 {
                let value = 1 - 1 / Double(epoch + k + 2)
                values.append(k == 3 && epoch % 7 == 2 ? .nan : value)
            }
            metrics.append((name: "metric\(k)", values: values))
        }
        let flat: Series = [(name: "constant", values: [0.5]), (name: "empty", values: [])]
        return [
            (file: "line-loss", title: "cells & <friends>: loss", yLabel: "loss",
             series: [(name: "train", values: train), (name: "validation", values: validation)]),
            (file: "line-metrics", title: "m: validation metrics", yLabel: "value",
             series: metrics),
            (file: "line-flat", title: "one epoch", yLabel: "value", series: flat),
        ]
    }

    func testLineChartsAreTheOnesTrainingWroteBefore() throws {
        for chart in Self.goldenCharts() {
            let golden = try String(contentsOf: Fixtures.root.appendingPathComponent(
                "charts/\(chart.file).svg"), encoding: .utf8)
            XCTAssertEqual(SVGChart.lines(title: chart.title, xLabel: "epoch",
                                          yLabel: chart.yLabel, series: chart.series),
                           golden, chart.file)
        }
    }
}
