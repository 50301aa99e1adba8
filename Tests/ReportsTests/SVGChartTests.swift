#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
import XCTest
@testable import Reports

/// Bar charts and histograms: well-formed SVG with one bar per category and series, counts
/// that match a count by hand, and titles escaped.
final class SVGChartTests: XCTestCase {
    /// Element names of `svg` in order, through Foundation's XML parser (a malformed chart
    /// fails the parse).
    final class Elements: NSObject, XMLParserDelegate {
        var names: [String] = []
        var texts: [String] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            names.append(name)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            texts.append(string)
        }
    }

    func parse(_ svg: String) throws -> Elements {
        let parser = XMLParser(data: Data(svg.utf8))
        let elements = Elements()
        parser.delegate = elements
        let parsed = parser.parse()
        XCTAssertTrue(parsed, "not well-formed XML: \(String(describing: parser.parserError))")
        return elements
    }

    func testBarsHaveOneRectanglePerCategoryAndSeries() throws {
        let svg = SVGChart.bars(title: "Time <per> stage & more", xLabel: "stage",
                                yLabel: "seconds", categories: ["0 LoadImage", "1 Classify", "2"],
                                series: [("median", [0.1, 0.2, 0]), ("95th percentile",
                                                                       [0.3, 0.4, 0.5])])
        let elements = try parse(svg)
        // The white background, 3 × 2 bars and two legend keys.
        XCTAssertEqual(elements.names.filter { $0 == "rect" }.count, 1 + 6 + 2)
        XCTAssertEqual(elements.names.filter { $0 == "title" }.count, 6)
        XCTAssertTrue(svg.contains("Time &lt;per&gt; stage &amp; more"))
        XCTAssertTrue(elements.texts.joined().contains("95th percentile"))
    }

    func testGridStepsAreRoundNumbers() {
        XCTAssertEqual(SVGChart.gridStep(2.75), 3)
        XCTAssertEqual(SVGChart.gridStep(0.1425), 0.2, accuracy: 1e-15)
        XCTAssertEqual(SVGChart.gridStep(0.25), 0.25, accuracy: 1e-15)
        XCTAssertEqual(SVGChart.gridStep(1), 1)
        XCTAssertEqual(SVGChart.gridStep(9), 10)
        XCTAssertEqual(SVGChart.gridStep(1070), 2000)
        XCTAssertEqual(SVGChart.gridStep(0), 1)
    }

    func testHistogramCountsMatchACountByHand() {
        let values = [0, 0.05, 0.1, 0.95, 1.0, 0.55, .nan]
        let histogram = SVGChart.histogram(values, bins: 10, range: 0...1)
        XCTAssertEqual(histogram.counts, [2, 1, 0, 0, 0, 1, 0, 0, 0, 2])
        XCTAssertEqual(histogram.categories.first, "0")
        XCTAssertEqual(histogram.categories[3], "0.3")
        let automatic = SVGChart.histogram([10, 20, 30, 40], bins: 3)
        // Bins of width 10 from 10: [10, 20), [20, 30), [30, 40].
        XCTAssertEqual(automatic.counts, [1, 1, 2])
        XCTAssertEqual(SVGChart.histogram([5, 5], bins: 2).counts, [2, 0])
    }

    func testLineChartIsWellFormed() throws {
        let svg = SVGChart.lines(title: "loss", xLabel: "epoch", yLabel: "loss",
                                 series: [("train", [1, 0.5, .nan, 0.25]),
                                          ("validation", [1.2, 0.7, 0.6, 0.5])])
        let elements = try parse(svg)
        XCTAssertEqual(elements.names.filter { $0 == "polyline" }.count, 2)
    }
}
