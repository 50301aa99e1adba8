import Foundation
import SafeFiles

/// `OUT/results.csv`: one row per case, for spreadsheets, when the pipeline's
/// `outputs.formats` lists `csv`. Columns come from the plan, so every run of a pipeline has
/// the same header: case, input, status, error stage and message, then the classifier's label
/// and one probability column per class, the pose, one area column per segmentation label
/// (pixels, then mm²), the mask and the written files (separated by `;`).
public struct ResultsTable: Sendable {
    public let classes: [String]
    public let labels: [String]

    /// The table of a run that used `models` (as `run.json` lists them): the classes of its
    /// last Classify stage and the labels of its last Segment stage.
    public init(models: [RunManifest.Model]) {
        classes = models.last { $0.stage.hasSuffix(" " + StageOp.classify.rawValue) }?.outputs
            ?? []
        labels = models.last { $0.stage.hasSuffix(" " + StageOp.segment.rawValue) }?.outputs
            ?? []
    }

    public var header: [String] {
        ["case", "input", "inputSHA256", "status", "error_stage", "error_message", "label"]
            + classes.map { "p_" + $0 }
            + ["rotation", "mirrored", "pose_confidence"]
            + labels.map { "area_px_" + $0 } + labels.map { "area_mm2_" + $0 }
            + ["mask", "outputs"]
    }

    public func row(_ record: CaseRecord) -> [String] {
        var row = [record.case, record.input, record.inputSHA256, record.status.rawValue,
                   record.error?.stage ?? "", record.error?.message ?? "",
                   record.classification?.label ?? ""]
        row += classes.map { name in
            record.classification?.probabilities[name].map { String(format: "%.6f", $0) } ?? ""
        }
        row += [record.pose.map { String($0.rotation) } ?? "",
                record.pose.map { String($0.mirrored) } ?? "",
                record.pose.map { String(format: "%.6f", $0.confidence) } ?? ""]
        let segmentation = record.segmentation
        row += labels.map { name in segmentation?.areasPx[name].map(String.init) ?? "" }
        row += labels.map { name in
            segmentation?.areasMm2?[name].map { String(format: "%.4f", $0) } ?? ""
        }
        row += [segmentation?.mask ?? "", record.outputs.joined(separator: ";")]
        return row
    }

    /// Writes the table of the records under `outputFolder/results` for `caseIDs`, reading
    /// one record at a time; a case without a readable record is left out.
    public func write(caseIDs: [String], outputFolder: String) throws {
        var text = Self.line(header)
        let decoder = JSONDecoder()
        for id in caseIDs {
            let path = (outputFolder as NSString).appendingPathComponent(
                CaseRecord.relativePath(forCase: id))
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? decoder.decode(CaseRecord.self, from: data) else { continue }
            text += Self.line(row(record))
        }
        try AtomicFile.write(text, to: (outputFolder as NSString)
            .appendingPathComponent("results.csv"))
    }

    /// One CSV line (RFC 4180 quoting). A field a spreadsheet would read as a formula (a
    /// leading `=`, `+`, `-` or `@` that is not a number) gets a leading `'`.
    static func line(_ fields: [String]) -> String {
        fields.map { field -> String in
            var value = field
            if let first = value.first, "=+-@".contains(first), Double(value) == nil {
                value = "'" + value
            }
            guard value.contains(where: { ",\"\n\r".contains($0) }) else { return value }
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + "\r\n"
    }
}
