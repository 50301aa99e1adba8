extension SummaryBuilder {
    /// The report's charts as inline SVG, each for a part the run has: class distribution,
    /// confidence histogram (10 bins over 0…1), area histogram per foreground label (12 bins,
    /// pixels), pose distribution, and median and 95th-percentile seconds per stage.
    public func charts() -> [String] {
        let summary = summary()
        var charts: [String] = []
        if let classes = summary.classes {
            let names = table.classes.isEmpty ? classes.keys.sorted() : table.classes
            let counts = names.map { Double(classes[$0] ?? 0) }
            charts.append(SVGChart.bars(title: "Predicted classes", xLabel: "class",
                                        yLabel: "cases", categories: names,
                                        series: [("cases", counts)]))
        }
        if !confidences.isEmpty {
            let histogram = SVGChart.histogram(confidences, bins: 10, range: 0...1)
            charts.append(SVGChart.bars(title: "Confidence of the predicted class",
                                        xLabel: "probability (bin start)", yLabel: "cases",
                                        categories: histogram.categories,
                                        series: [("cases", histogram.counts)]))
        }
        let labels = table.labels.isEmpty ? areasPx.keys.sorted() : Array(table.labels.dropFirst())
        for label in labels {
            guard let values = areasPx[label], !values.isEmpty else { continue }
            let histogram = SVGChart.histogram(values, bins: 12)
            charts.append(SVGChart.bars(title: "Area of \(label)", xLabel: "pixels (bin start)",
                                        yLabel: "cases", categories: histogram.categories,
                                        series: [("cases", histogram.counts)]))
        }
        if let poses = summary.poses {
            charts.append(SVGChart.bars(title: "Poses found", xLabel: "pose", yLabel: "cases",
                                        categories: Self.poseNames,
                                        series: [("cases", Self.poseNames.map {
                                            Double(poses[$0] ?? 0) })]))
        }
        let stages = summary.timing.keys.filter { $0 != "case" }.sorted(by: Self.stageOrder)
        if !stages.isEmpty {
            charts.append(SVGChart.bars(
                title: "Time per stage", xLabel: "stage", yLabel: "seconds", categories: stages,
                series: [("median", stages.map { summary.timing[$0]?.p50 ?? 0 }),
                         ("95th percentile", stages.map { summary.timing[$0]?.p95 ?? 0 })]))
        }
        return charts
    }

    /// Stages by their index (`"2 Segment"` before `"10 SaveImage"`), others after them.
    static func stageOrder(_ a: String, _ b: String) -> Bool {
        let x = Int(a.prefix { $0.isNumber }), y = Int(b.prefix { $0.isNumber })
        switch (x, y) {
        case let (x?, y?): return x != y ? x < y : a < b
        case (_?, nil): return true
        case (nil, _?): return false
        case (nil, nil): return a < b
        }
    }
}
