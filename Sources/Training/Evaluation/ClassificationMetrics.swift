import ModelRuntime
import SafeFiles
import StrictJSON

/// Scores of a classifier on a labelled set.
///
/// Conventions (those of scikit-learn, so figures can be compared, except that an undefined
/// value is nil rather than 0): precision of a class never predicted is nil (its F1 is 0 when
/// the class occurs, as its recall is 0); recall and F1 of a class absent from the truth are
/// nil and left out of balanced accuracy and of the macro means; ROC AUC of a class is nil
/// when the set has no positive or no negative case of it.
public struct ClassificationMetrics: Sendable, Equatable, Codable {
    /// Per-class figures, in class order.
    public struct PerClass: Sendable, Equatable, Codable {
        public var name: String
        /// Cases whose true class this is.
        public var support: Int
        /// Nil when the class is never predicted.
        public var precision: Double?
        public var recall: Double?
        public var f1: Double?
        /// One-vs-rest ROC AUC from the class's probability.
        public var rocAUC: Double?
    }

    public var cases: Int
    public var accuracy: Double
    /// Mean recall over the classes present in the truth.
    public var balancedAccuracy: Double
    /// Mean F1 over the classes present in the truth.
    public var macroF1: Double
    /// Mean one-vs-rest ROC AUC over the classes where it is defined; nil if none.
    public var macroRocAUC: Double?
    public var perClass: [PerClass]
    /// `confusion[true][predicted]` counts.
    public var confusion: [[Int]]

    /// Computes the metrics. `probabilities[i]` holds one score per class for case `i`
    /// (summing to 1 is not required); the prediction is the arg-max, ties to the lowest index.
    public init(truth: [Int], probabilities: [[Double]], classNames: [String]) {
        let k = classNames.count
        precondition(truth.count == probabilities.count,
                     "one probability row per case: \(truth.count) labels, "
                     + "\(probabilities.count) rows")
        precondition(probabilities.allSatisfy { $0.count == k },
                     "every probability row must have \(k) entries")
        precondition(truth.allSatisfy { (0..<k).contains($0) }, "labels must be in 0..<\(k)")
        let predicted = probabilities.map(Self.argmax)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        let n = truth.count
        var perClass: [PerClass] = []
        for c in 0..<k {
            let tp = confusion[c][c]
            let support = confusion[c].reduce(0, +)
            let predictedCount = (0..<k).reduce(0) { $0 + confusion[$1][c] }
            let precision: Double? = predictedCount == 0 ? nil
                : Double(tp) / Double(predictedCount)
            let recall: Double? = support == 0 ? nil : Double(tp) / Double(support)
            var f1: Double?
            if let recall {
                let p = precision ?? 0
                f1 = p + recall == 0 ? 0 : 2 * p * recall / (p + recall)
            }
            let scores = probabilities.map { $0[c] }
            let positives = truth.map { $0 == c }
            perClass.append(PerClass(name: classNames[c], support: support, precision: precision,
                                     recall: recall, f1: f1,
                                     rocAUC: Self.rocAUC(scores: scores, positive: positives)))
        }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        self.cases = n
        self.accuracy = n == 0 ? 0 : Double(correct) / Double(n)
        let recalls = perClass.compactMap(\.recall)
        self.balancedAccuracy = recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
        let f1s = perClass.compactMap(\.f1)
        self.macroF1 = f1s.isEmpty ? 0 : f1s.reduce(0, +) / Double(f1s.count)
        let aucs = perClass.compactMap(\.rocAUC)
        self.macroRocAUC = aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count)
        self.perClass = perClass
        self.confusion = confusion
    }

    /// Index of the largest value; ties go to the lowest index.
    public static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    /// Area under the ROC curve by the rank-sum (Mann-Whitney U) formula, tied scores given
    /// their average rank (so a tie between a positive and a negative counts one half).
    /// Nil when there is no positive or no negative case.
    public static func rocAUC(scores: [Double], positive: [Bool]) -> Double? {
        precondition(scores.count == positive.count, "one flag per score")
        let positives = positive.filter { $0 }.count
        let negatives = positive.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] {
                end += 1
            }
            // 1-based ranks start+1 ... end+1 share their mean.
            let meanRank = Double(start + end + 2) / 2
            for i in start...end where positive[order[i]] { rankSum += meanRank }
            start = end + 1
        }
        let p = Double(positives)
        return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }
}
