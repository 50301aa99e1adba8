import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import ModelRuntime
import TensorCore

/// The one evaluation loop of training (validation after every epoch) and of
/// `equiscan evaluate`: cases prepared one by one, stacked into batches, run through the model
/// without recording gradients, and every batch's outputs handed on.
///
/// The caller decides the mode (a trainer switches its model to eval mode around the loop; a
/// loaded package is in eval mode already) and what a case is: a loaded scan, or a scan turned
/// by a group element for the equivariance figures.
struct EvaluationLoop {
    let model: PackagedModel
    let batchSize: Int

    /// Runs over `count` cases: `prepare(i)` gives case i; `visit` gets each batch, the range of
    /// case numbers in it, and the model's outputs (N, K) or (N, K, H, W).
    func run(count: Int, prepare: (Int) throws -> LoadedCase,
             visit: (_ batch: Batch, _ cases: Range<Int>, _ items: [LoadedCase],
                     _ outputs: Tensor) throws -> Void) throws {
        precondition(batchSize > 0, "an evaluation batch needs at least one case")
        var start = 0
        while start < count {
            let range = start..<min(count, start + batchSize)
            let items = try range.map(prepare)
            let batch = Batch(items)
            try visit(batch, range, items, model.predict(batch.images))
            start = range.upperBound
        }
    }
}

/// Predictions of one task gathered batch by batch, and the metrics they give.
///
/// Classification keeps class probabilities (softmax of the logits) and true classes;
/// segmentation keeps each case's arg-max label map, its true map and its pixel size;
/// orientation keeps the true and the predicted group element (the case's class is the index of
/// its true element in `group.elements`).
struct PredictionCollector {
    enum Task {
        case classification(classNames: [String])
        case segmentation(labelNames: [String], hausdorff: Bool)
        case orientation(group: Group)
    }

    let task: Task
    private var truth: [Int] = []
    private var probabilities: [[Double]] = []
    private var segmentation: [(predicted: [Int], truth: [Int], width: Int, height: Int)] = []
    private var pixelSizes: [PixelSize?] = []
    private var poseTruth: [GroupElement] = []
    private var posePredicted: [GroupElement] = []

    init(_ task: Task) {
        self.task = task
    }

    /// Adds a batch; returns each case's prediction (class or pose index as one value, or the
    /// label map) for callers that compare predictions across group elements.
    @discardableResult
    mutating func add(_ batch: Batch, items: [LoadedCase], outputs: Tensor) -> [[Int]] {
        let n = items.count
        switch task {
        case .classification, .orientation:
            let k = outputs.shape[1]
            return (0..<n).map { i in
                let scores = outputs.storage[(i * k)..<((i + 1) * k)]
                if case .orientation(let group) = task {
                    // The pose as the canonicalizer decides it (rotation first, then mirror).
                    let pose = PoseEstimate(group: group, scores: Array(scores))
                    poseTruth.append(group.elements[batch.classes[i]])
                    posePredicted.append(pose.element)
                    return [pose.index]
                }
                let row = Self.softmax(scores)
                probabilities.append(row)
                truth.append(batch.classes[i])
                return [ClassificationMetrics.argmax(row)]
            }
        case .segmentation:
            let (h, w) = (outputs.shape[2], outputs.shape[3])
            let predicted = Self.labelPredictions(outputs)
            return (0..<n).map { i in
                let plane = (i * h * w)..<((i + 1) * h * w)
                let labels = batch.labelMaps.isEmpty ? [] : batch.labelMaps[plane].map(Int.init)
                let mine = Array(predicted[plane])
                segmentation.append((mine, labels, w, h))
                pixelSizes.append(items[i].pixelSizeMM)
                return mine
            }
        }
    }

    /// Classification metrics (nil for other tasks).
    var classificationMetrics: ClassificationMetrics? {
        guard case .classification(let names) = task else { return nil }
        return ClassificationMetrics(truth: truth, probabilities: probabilities,
                                     classNames: names)
    }

    /// Segmentation metrics (nil for other tasks); HD95 in mm when every case knows its
    /// pixel size.
    var segmentationMetrics: SegmentationMetrics? {
        guard case let .segmentation(names, hausdorff) = task else { return nil }
        return SegmentationMetrics(cases: segmentation, labelNames: names, hausdorff: hausdorff,
                                   pixelSizes: pixelSizes)
    }

    /// Orientation metrics (nil for other tasks).
    var orientationMetrics: OrientationMetrics? {
        guard case .orientation = task else { return nil }
        return OrientationMetrics(truth: poseTruth, predicted: posePredicted)
    }

    /// The task's scalar metrics by name; nil where undefined on these cases.
    var scalars: [String: Double?] {
        if let m = classificationMetrics { return Self.scalars(m) }
        if let m = segmentationMetrics { return scalars(m) }
        return orientationMetrics.map(Self.scalars) ?? [:]
    }

    static func scalars(_ m: ClassificationMetrics) -> [String: Double?] {
        ["accuracy": m.accuracy, "balancedAccuracy": m.balancedAccuracy, "macroF1": m.macroF1,
         "macroRocAUC": m.macroRocAUC]
    }

    func scalars(_ m: SegmentationMetrics) -> [String: Double?] {
        var scalars: [String: Double?] = ["meanDice": m.meanDice, "meanIoU": m.meanIoU,
                                          "pixelAccuracy": m.pixelAccuracy]
        if case .segmentation(_, true) = task {
            // In mm when every case's pixel size is known (then also in pixels beside it).
            scalars["meanHD95"] = m.meanHD95
            scalars["meanHD95px"] = m.meanHD95Pixels
            if m.hd95Unit == "mm" { scalars["meanHD95mm"] = m.meanHD95 }
        }
        // Per-label Dice, the background's included, named after the label.
        for label in m.perLabel { scalars["dice." + label.name] = label.dice }
        return scalars
    }

    static func scalars(_ m: OrientationMetrics) -> [String: Double?] {
        ["poseAccuracy": m.poseAccuracy, "rotationAccuracy": m.rotationAccuracy,
         "mirrorAccuracy": m.mirrorAccuracy]
    }

    /// Bootstrap intervals of `scalars` (`Bootstrap.intervals`), each draw picking one unit
    /// of `casesPerUnit` consecutive cases (1; or a scan's |G| turned copies for orientation).
    func intervals(_ settings: BootstrapSettings, casesPerUnit: Int = 1)
        -> [String: ConfidenceInterval?] {
        let count = truth.count + segmentation.count + poseTruth.count
        precondition(casesPerUnit >= 1 && count % casesPerUnit == 0,
                     "\(count) cases do not make whole units of \(casesPerUnit)")
        func cases(_ units: [Int]) -> [Int] {
            units.flatMap { ($0 * casesPerUnit)..<(($0 + 1) * casesPerUnit) }
        }
        let units = count / casesPerUnit
        switch task {
        case .classification(let names):
            return Bootstrap.intervals(count: units, settings: settings) { drawn in
                let picked = cases(drawn)
                return Self.scalars(ClassificationMetrics(
                    truth: picked.map { truth[$0] },
                    probabilities: picked.map { probabilities[$0] }, classNames: names))
            }
        case .segmentation(let names, _):
            // Per-case figures once (HD95 is the costly part), then means of resamples.
            guard let all = segmentationMetrics else { return [:] }
            return Bootstrap.intervals(count: units, settings: settings) { drawn in
                scalars(SegmentationMetrics(figures: cases(drawn).map { all.perCase[$0] },
                                            labelNames: names, hd95Unit: all.hd95Unit))
            }
        case .orientation:
            return Bootstrap.intervals(count: units, settings: settings) { drawn in
                let picked = cases(drawn)
                return Self.scalars(OrientationMetrics(
                    truth: picked.map { poseTruth[$0] },
                    predicted: picked.map { posePredicted[$0] }))
            }
        }
    }

    /// Softmax of one row of logits, in Double.
    static func softmax(_ logits: ArraySlice<Float>) -> [Double] {
        let m = Double(logits.max() ?? 0)
        let e = logits.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// Arg-max over the class axis of (N, K, H, W) logits: (N, H, W) labels, row-major.
    static func labelPredictions(_ logits: Tensor) -> [Int] {
        let (n, k, h, w) = (logits.shape[0], logits.shape[1], logits.shape[2], logits.shape[3])
        var out = [Int](repeating: 0, count: n * h * w)
        logits.storage.withUnsafeBufferPointer { s in
            for b in 0..<n {
                for p in 0..<(h * w) {
                    var best = 0
                    var bestValue = s[(b * k) * h * w + p]
                    for c in 1..<max(k, 1) {
                        let v = s[(b * k + c) * h * w + p]
                        if v > bestValue { best = c; bestValue = v }
                    }
                    out[b * h * w + p] = best
                }
            }
        }
        return out
    }
}
