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

/// Renders the training log as CSV (its charts are `Reports.SVGChart` line charts).
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
}
