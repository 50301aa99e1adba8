import Foundation
import SafeFiles

/// `reports/report.html`: one self-contained page (no network access; style, script and
/// pictures inline, a Content-Security-Policy that allows nothing else) for people to read.
///
/// Layout: a header with the pipeline, its models and versions, the run's date and the
/// research-use notice; summary figures; SVG charts; the case table (sortable, filterable,
/// paged by the script; each row a thumbnail), and per selected case its scan, the scan in
/// its canonical pose (the same picture turned by CSS, exact for quarter turns and mirrors)
/// and its segmentation overlay; then the failures with their reasons. Case data travels as
/// one JSON block, each picture as a base64 PNG in its own `text/plain` block that the script
/// turns into an `<img>` only when its row is shown, so the page stays responsive with tens of
/// thousands of cases. Every text is escaped (`Markup.escape`), every attribute quoted.
struct ReportPage {
    let manifest: RunManifest
    let settings: ReportSettings
    let summary: ReportSummary
    let charts: [String]
    let table: PredictionsTable
    /// Labels whose pixel areas get a column: the segmenter's, background (label 0) left out.
    var areaLabels: [String] { Array(table.labels.dropFirst()) }
    /// Rows per page when the page opens.
    static let pageSize = 50

    /// Everything before the case data: head, header, figures, charts, the empty case table,
    /// the case view and the failures.
    func opening(failures: [(record: CaseRecord, attempts: Int?)], unreadable: [String])
        -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta http-equiv="Content-Security-Policy" \
            content="\(Markup.escape(ReportPageAssets.contentSecurityPolicy))"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>\(Markup.escape("EquiScan report: " + manifest.pipeline.name))</title>
            <style>
            \(ReportPageAssets.style)
            </style>
            </head>
            <body>

            """
        html += header() + figures() + chartSection() + caseSection()
        html += failureSection(failures, unreadable: unreadable)
        return html
    }

    private func header() -> String {
        let models = manifest.models.map {
            "<li>\(Markup.escape($0.name)) \(Markup.escape($0.version)) "
                + "<span class=\"muted\">(\(Markup.escape($0.stage)), SHA-256 "
                + "\(Markup.escape(String($0.sha256.prefix(12)))))</span></li>"
        }.joined(separator: "\n")
        var html = "<header>\n<h1>\(Markup.escape(manifest.pipeline.name))</h1>\n"
        html += "<p class=\"notice\">Research use only — not for clinical use.</p>\n"
        html += meta("Pipeline", manifest.pipeline.file + " (SHA-256 "
                     + manifest.pipeline.sha256.prefix(12) + ")")
        html += meta("Run", (manifest.endedAt ?? manifest.startedAt + " (not finished)")
                     + " on " + manifest.host + " with " + manifest.tool.name + " "
                     + manifest.tool.version)
        if let shard = manifest.shard {
            html += meta("Shard", "\(shard.index) of \(shard.count)")
        }
        html += meta("Inputs", manifest.inputs.joined(separator: ", "))
        html += models.isEmpty ? "" : "<p class=\"meta\">Models:</p>\n<ul>\n\(models)\n</ul>\n"
        return html + "</header>\n"
    }

    private func meta(_ name: String, _ value: String) -> String {
        "<p class=\"meta\"><b>\(Markup.escape(name)):</b> \(Markup.escape(value))</p>\n"
    }

    private func figures() -> String {
        var items: [(String, String)] = [
            ("cases", "\(summary.counts.cases)"), ("ok", "\(summary.counts.ok)"),
            ("failed", "\(summary.counts.failed)"),
        ]
        if summary.poses != nil {
            items.append(("pose uncertain", "\(summary.counts.poseUncertain)"))
            items.append(("mirror uncertain", "\(summary.counts.poseMirrorUncertain)"))
        }
        if let orbit = summary.orbit {
            items.append(("orbit consistent", "\(orbit.consistent) of \(orbit.checked)"))
            items.append(("flagged", "\(summary.counts.flagged)"))
        }
        if let confidence = summary.confidence {
            items.append(("median confidence", String(format: "%.3f", confidence.median)))
        }
        if let timing = summary.timing["case"] {
            items.append(("median s per case", String(format: "%.3f", timing.p50)))
            items.append(("total s", String(format: "%.1f", timing.total)))
        }
        let boxes = items.map {
            "<div class=\"figure\"><b>\(Markup.escape($0.1))</b>\(Markup.escape($0.0))</div>"
        }.joined(separator: "\n")
        return "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"figures\">\n"
            + boxes + "\n</div>\n</section>\n"
    }

    private func chartSection() -> String {
        guard !charts.isEmpty else { return "" }
        return "<section id=\"charts\">\n<h2>Charts</h2>\n<div class=\"charts\">\n"
            + charts.joined() + "</div>\n</section>\n"
    }

    /// The table's columns: header text and sort key (nil: not sortable).
    var columns: [(title: String, key: String?)] {
        var columns: [(String, String?)] = [("", nil), ("Case", "id"), ("Status", "status")]
        if !table.classes.isEmpty {
            columns += [("Label", "label"), ("Confidence", "confidence")]
        }
        if summary.poses != nil {
            columns += [("Pose", "pose"), ("Pose confidence", "poseConfidence")]
        }
        columns += areaLabels.map { ("\($0) area (px)", "area:" + $0) }
        columns.append(("Seconds", "seconds"))
        if settings.orbitCheck { columns.append(("Orbit", "orbit")) }
        columns.append(("Error", "error"))
        return columns
    }

    private func caseSection() -> String {
        let head = columns.map { column -> String in
            guard let key = column.key else { return "<th>\(Markup.escape(column.title))</th>" }
            return "<th data-key=\"\(Markup.escape(key))\"><button type=\"button\">"
                + "\(Markup.escape(column.title))</button></th>"
        }.joined()
        let sizes = [25, 50, 100, 250].map {
            "<option value=\"\($0)\"\($0 == Self.pageSize ? " selected=\"selected\"" : "")>"
                + "\($0) per page</option>"
        }.joined()
        var statuses = [("all", "All cases"), ("ok", "ok"), ("failed", "failed")]
        if settings.orbitCheck { statuses.append(("flagged", "flagged (orbit inconsistent)")) }
        if summary.poses != nil { statuses.append(("uncertain", "pose uncertain")) }
        let statusOptions = statuses.map {
            "<option value=\"\($0.0)\">\(Markup.escape($0.1))</option>"
        }.joined()
        return """
            <section id="cases">
            <h2>Cases</h2>
            <div class="controls">
            <input type="search" id="case-filter" placeholder="Filter by case, label or error" \
            aria-label="Filter cases"/>
            <select id="status-filter" aria-label="Status">\(statusOptions)</select>
            <select id="page-size" aria-label="Rows per page">\(sizes)</select>
            <button type="button" id="previous-page">Previous</button>
            <span id="page-info"></span>
            <button type="button" id="next-page">Next</button>
            </div>
            <table id="case-table" data-cases="\(summary.counts.cases)">
            <thead><tr>\(head)</tr></thead>
            <tbody></tbody>
            </table>
            <noscript><p>The case table needs JavaScript; predictions.csv holds the same \
            rows.</p></noscript>
            </section>
            <section id="case-view" hidden="hidden">
            <h2 id="case-title"></h2>
            <div class="pictures" id="case-pictures"></div>
            <dl class="facts" id="case-facts"></dl>
            </section>

            """
    }

    private func failureSection(_ failures: [(record: CaseRecord, attempts: Int?)],
                                unreadable: [String]) -> String {
        var html = "<section id=\"failures\">\n<h2>Failures</h2>\n"
        if failures.isEmpty {
            html += "<p>No case failed.</p>\n"
        } else {
            html += "<table id=\"failure-table\">\n<thead><tr><th>Case</th><th>Stage</th>"
                + "<th>Error</th><th>Attempts</th></tr></thead>\n<tbody>\n"
            for (record, attempts) in failures {
                let cells = FailuresTable.row(record, attempts: attempts)
                html += "<tr>" + cells.map { "<td>\(Markup.escape($0))</td>" }.joined()
                    + "</tr>\n"
            }
            html += "</tbody>\n</table>\n"
        }
        if !unreadable.isEmpty {
            html += "<p>Records that could not be read (left out of this report):</p>\n<ul>\n"
                + unreadable.map { "<li>\(Markup.escape($0))</li>\n" }.joined() + "</ul>\n"
        }
        return html + "</section>\n"
    }

    /// The case data block and the page's settings for the script.
    func caseData(_ entries: [String]) -> String {
        let config = """
            {"pageSize":\(Self.pageSize),"classifier":\(!table.classes.isEmpty),\
            "poses":\(summary.poses != nil),"orbit":\(settings.orbitCheck),\
            "areaLabels":\(Self.scriptJSON(areaLabels))}
            """
        return "<script type=\"application/json\" id=\"report-config\">\(config)</script>\n"
            + "<script type=\"application/json\" id=\"case-data\">["
            + entries.joined(separator: ",\n") + "]</script>\n"
    }

    /// The pictures of the case at `index`: one base64 PNG block per picture, and the notes
    /// on missing ones.
    func pictureBlocks(_ pictures: CasePictures, index: Int) -> String {
        var html = ""
        for (kind, bytes) in [("scan", pictures.scan), ("overlay", pictures.overlay)] {
            guard let bytes else { continue }
            html += "<script type=\"text/plain\" id=\"\(kind)-\(index)\">"
                + Data(bytes).base64EncodedString() + "</script>\n"
        }
        if !pictures.notes.isEmpty {
            html += "<script type=\"application/json\" id=\"notes-\(index)\">"
                + Self.scriptJSON(pictures.notes) + "</script>\n"
        }
        return html
    }

    /// The end of the page: the script.
    static let closing = "<script>\n\(ReportPageAssets.script)\n</script>\n</body>\n</html>\n"

    /// `value` as JSON that can stand inside a `<script>` element: `<`, `>` and `&` written
    /// as `\u003c`, `\u003e` and `\u0026`, so no text can close the element or open a comment.
    static func scriptJSON<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only non-finite numbers fail to encode; records never hold them (the runner
        // refuses NaN), and a report must not stop on one, so it shows as null.
        let text = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
            ?? "null"
        return text.replacingOccurrences(of: "&", with: "\\u0026")
            .replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e")
    }
}

/// The pictures of one case for `report.html`, as PNG bytes, and why any is missing.
public struct CasePictures: Sendable, Equatable {
    /// The scan, at most `ReportSettings.thumbnailSize` on its longest side.
    public var scan: [UInt8]?
    /// The case's mask as an RGBA layer of the scan picture's size (labels in colour,
    /// partly transparent; background clear), which the page lays over the scan: flat
    /// colours compress far better than a blended picture.
    public var overlay: [UInt8]?
    /// Why a picture is missing ("the input has changed since the run").
    public var notes: [String]

    public init(scan: [UInt8]? = nil, overlay: [UInt8]? = nil, notes: [String] = []) {
        self.scan = scan
        self.overlay = overlay
        self.notes = notes
    }
}
