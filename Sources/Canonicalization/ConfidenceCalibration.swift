/// Chooses an abstention threshold from held-out (confidence, correct) pairs: the lowest
/// threshold at which the cases that would be acted on (confidence ≥ threshold) are correct
/// at least `targetAccuracy` of the time, so the most cases are acted on at that accuracy.
///
/// The candidates are the confidences seen (a threshold between two of them acts on the same
/// cases as the higher one). Selective accuracy is not monotone in the
/// threshold, so every candidate is checked. When no threshold reaches the target, the one
/// with the highest selective accuracy is chosen (the lowest among equals) and
/// `reachesTarget` is false. Calibrate on validation cases, never on test cases.
public enum ConfidenceCalibration {
    /// The chosen threshold and what it gives on the calibration cases.
    public struct Choice: Equatable, Sendable, Codable {
        public var threshold: Double
        /// Share of the cases acted on (confidence ≥ threshold).
        public var coverage: Double
        /// Accuracy on the cases acted on.
        public var selectiveAccuracy: Double
        /// Whether `selectiveAccuracy` ≥ the target.
        public var reachesTarget: Bool

        public init(threshold: Double, coverage: Double, selectiveAccuracy: Double,
                    reachesTarget: Bool) {
            self.threshold = threshold
            self.coverage = coverage
            self.selectiveAccuracy = selectiveAccuracy
            self.reachesTarget = reachesTarget
        }
    }

    /// The threshold for `cases` (at least one) and target accuracy in (0, 1].
    public static func threshold(_ cases: [(confidence: Double, correct: Bool)],
                                 targetAccuracy: Double) -> Choice {
        precondition(!cases.isEmpty, "calibration needs at least one case")
        precondition(targetAccuracy > 0 && targetAccuracy <= 1,
                     "target accuracy must be in (0, 1], got \(targetAccuracy)")
        // From the most confident down: after the cases of one confidence value are added,
        // the counts are those a threshold at that value acts on.
        let sorted = cases.sorted { $0.confidence > $1.confidence }
        var acted = 0, correct = 0
        var index = 0
        var candidates: [Choice] = []
        while index < sorted.count {
            let value = sorted[index].confidence
            while index < sorted.count && sorted[index].confidence == value {
                acted += 1
                correct += sorted[index].correct ? 1 : 0
                index += 1
            }
            let accuracy = Double(correct) / Double(acted)
            candidates.append(Choice(threshold: value,
                                     coverage: Double(acted) / Double(sorted.count),
                                     selectiveAccuracy: accuracy,
                                     reachesTarget: accuracy >= targetAccuracy))
        }
        // Descending thresholds: the last one that qualifies is the lowest.
        if let lowest = candidates.last(where: \.reachesTarget) { return lowest }
        var top = candidates[0]
        for candidate in candidates.dropFirst()
        where candidate.selectiveAccuracy >= top.selectiveAccuracy {
            top = candidate
        }
        return top
    }
}
