import Reports
import XCTest

/// `Distribution`, `Timing` and `SummaryBuilder` against figures worked out by hand.
final class SummaryTests: XCTestCase {
    func testDistributionOfFiveValues() throws {
        // Sorted 1 2 3 4 10: p5 at rank 0.2 → 1.2; p95 at rank 3.8 → 4 + 0.8 · 6 = 8.8;
        // deviations from the mean 4 are −3 −2 −1 0 6, squares sum to 50, /5 → variance 10.
        let d = try XCTUnwrap(Distribution([10, 3, 1, 4, 2]))
        XCTAssertEqual(d.count, 5)
        XCTAssertEqual(d.mean, 4, accuracy: 1e-12)
        XCTAssertEqual(d.median, 3, accuracy: 1e-12)
        XCTAssertEqual(d.min, 1)
        XCTAssertEqual(d.max, 10)
        XCTAssertEqual(d.p5, 1.2, accuracy: 1e-12)
        XCTAssertEqual(d.p95, 8.8, accuracy: 1e-12)
        XCTAssertEqual(d.std, 10.0.squareRoot(), accuracy: 1e-12)
        XCTAssertNil(Distribution([]))
        let one = try XCTUnwrap(Distribution([7]))
        XCTAssertEqual([one.mean, one.median, one.p5, one.p95, one.std], [7, 7, 7, 7, 0])
    }

    func testTimingPercentiles() throws {
        // Ranks over 4 values: p50 1.5, p90 2.7, p95 2.85, p99 2.97.
        let t = try XCTUnwrap(Timing([0.4, 0.1, 0.3, 0.2]))
        XCTAssertEqual(t.p50, 0.25, accuracy: 1e-12)
        XCTAssertEqual(t.p90, 0.37, accuracy: 1e-12)
        XCTAssertEqual(t.p95, 0.385, accuracy: 1e-12)
        XCTAssertEqual(t.p99, 0.397, accuracy: 1e-12)
        XCTAssertEqual(t.max, 0.4)
        XCTAssertEqual(t.total, 1.0, accuracy: 1e-12)
        XCTAssertEqual(t.mean, 0.25, accuracy: 1e-12)
    }

    func testSummaryOfTheFixtureRecords() throws {
        var builder = SummaryBuilder(manifest: ReportFixtures.manifest,
                                     settings: ReportFixtures.settings)
        ReportFixtures.records.forEach { builder.add($0) }
        let summary = builder.summary()
        let counts = summary.counts
        XCTAssertEqual([counts.cases, counts.ok, counts.failed, counts.poseUncertain,
                        counts.poseMirrorUncertain, counts.flagged], [3, 2, 1, 1, 1, 1])
        XCTAssertEqual(summary.classes, ["A": 2, "B": 0, "C": 0])
        let confidence = try XCTUnwrap(summary.confidence)
        XCTAssertEqual(confidence.mean, 0.75, accuracy: 1e-12)
        XCTAssertEqual(confidence.min, 0.6)
        let areas = try XCTUnwrap(summary.areas)
        XCTAssertEqual(areas.px["cell"]?.mean ?? 0, 20, accuracy: 1e-12)
        XCTAssertEqual(areas.px["background"]?.median ?? 0, 80, accuracy: 1e-12)
        XCTAssertEqual(areas.mm2?["cell"]?.count, 1)
        XCTAssertEqual(areas.mm2?["cell"]?.mean ?? 0, 0.3, accuracy: 1e-12)
        XCTAssertEqual(summary.poses, ["r0": 0, "r1": 1, "r2": 0, "r3": 0, "r0m": 1, "r1m": 0,
                                       "r2m": 0, "r3m": 0])
        // The failed case reached LoadImage only; "case" sums the stages and the orbit.
        XCTAssertEqual(summary.timing["2 Classify"]?.count, 2)
        XCTAssertEqual(summary.timing["case"]?.count, 3)
        XCTAssertEqual(summary.timing["case"]?.max ?? 0, 0.85, accuracy: 1e-12)
        XCTAssertEqual(summary.timing["orbit"]?.total ?? 0, 0.75, accuracy: 1e-12)
        XCTAssertEqual(summary.orbit?.checked, 2)
        XCTAssertEqual(summary.orbit?.consistent, 1)
        XCTAssertEqual(summary.orbit?.inconsistent, ["=cmd|' <img src=x onerror=alert(1)>"])
        XCTAssertEqual(summary.provenance.pipeline.name, "fixture <pipeline>")
    }

    /// A run without a classifier, segmenter, canonicalizer or orbit check has those parts
    /// null in summary.json (not left out), so every summary has the same keys.
    func testAbsentPartsAreNullNotMissing() throws {
        var manifest = ReportFixtures.manifest
        manifest.models = []
        var builder = SummaryBuilder(manifest: manifest, settings: .defaults)
        var record = CaseRecord(case: "x", input: "x.png", inputSHA256: "00")
        record.stageSeconds = ["0 LoadImage": 0.5]
        builder.add(record)
        let data = try JSONEncoder().encode(builder.summary())
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["counts", "classes", "confidence", "areas", "poses",
                                          "timing", "orbit", "provenance"])
        for key in ["classes", "confidence", "areas", "poses", "orbit"] {
            XCTAssertTrue(object[key] is NSNull, key)
        }
    }
}
