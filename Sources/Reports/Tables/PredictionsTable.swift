import Foundation

/// `reports/predictions.csv`: one row per case, for spreadsheets and scripts.
///
/// Columns: `case`, `status`, `label`, `confidence`, one `p_<class>` per class of the run's
/// classifier, `poseRotation`, `poseMirrored`, `poseConfidence`, `poseUncertain`,
/// `poseMirrorUncertain`, `area_px_<label>` and `area_mm2_<label>` for each label of its
/// segmenter, `seconds`, `error` (`STAGE: message`), and with the orbit check
/// `orbitConsistent`, `orbitProbabilitySpread` and `orbitMinDice`. The header comes from the run's models, so
/// every run of a pipeline has the same columns; a case without a value leaves its cell
/// empty. Probabilities and confidences have 6 decimals, areas in mm² 4, seconds 6.
public struct PredictionsTable: Sendable {
    /// Classes of the run's last classifier, in its output order.
    public let classes: [String]
    /// Labels of the run's last segmenter, in its output order.
    public let labels: [String]
    public let settings: ReportSettings

    /// The table of a run that used `models` (as `run.json` lists them).
    public init(models: [RunManifest.Model], settings: ReportSettings) {
        classes = models.last { $0.stage.hasSuffix(" Classify") }?.outputs ?? []
        labels = models.last { $0.stage.hasSuffix(" Segment") }?.outputs ?? []
        self.settings = settings
    }

    public var header: [String] {
        var names = ["case", "status", "label", "confidence"] + classes.map { "p_" + $0 }
        names += ["poseRotation", "poseMirrored", "poseConfidence", "poseUncertain",
                  "poseMirrorUncertain"]
        names += labels.flatMap { ["area_px_" + $0, "area_mm2_" + $0] }
        names += ["seconds", "error"]
        if settings.orbitCheck {
            names += ["orbitConsistent", "orbitProbabilitySpread", "orbitMinDice"]
        }
        return names
    }

    public func row(_ record: CaseRecord) -> [String] {
        let classification = record.classification
        var row = [record.case, record.status.rawValue, classification?.label ?? "",
                   classification.map { Self.decimal($0.confidence, 6) } ?? ""]
        row += classes.map { name in
            classification?.probabilities[name].map { Self.decimal($0, 6) } ?? ""
        }
        let pose = record.pose
        row += [pose.map { String($0.rotation) } ?? "", pose.map { String($0.mirrored) } ?? "",
                pose.map { Self.decimal($0.confidence, 6) } ?? "",
                pose.map { String($0.uncertain) } ?? "",
                pose.map { String($0.mirrorUncertain) } ?? ""]
        let segmentation = record.segmentation
        for label in labels {
            row.append(segmentation?.areasPx[label].map(String.init) ?? "")
            row.append(segmentation?.areasMm2?[label].map { Self.decimal($0, 4) } ?? "")
        }
        row.append(Self.decimal(record.seconds, 6))
        row.append(record.error.map { "\($0.stage): \($0.message)" } ?? "")
        if settings.orbitCheck {
            let orbit = record.orbit
            row += [orbit.map { String($0.consistent) } ?? "",
                    orbit?.probabilitySpread.map { Self.decimal($0, 6) } ?? "",
                    orbit?.minDice.map { Self.decimal($0, 6) } ?? ""]
        }
        return row
    }

    /// `value` with `places` decimals.
    static func decimal(_ value: Double, _ places: Int) -> String {
        String(format: "%.\(places)f", value)
    }
}

/// `reports/failures.csv`: one row per failed case, with the stage it failed in, the reason
/// and how many times the ledger saw it started (empty when the ledger does not know it).
public enum FailuresTable {
    public static let header = ["case", "stage", "error", "attempts"]

    public static func row(_ record: CaseRecord, attempts: Int?) -> [String] {
        [record.case, record.error?.stage ?? "", record.error?.message ?? "",
         attempts.map(String.init) ?? ""]
    }
}
