import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import ModelRuntime
import SafeFiles
import StrictJSON
import TensorCore

/// What `equiscan evaluate` reports: metrics on the test set as given, the same metrics with
/// the test set turned by every element of the model's group, and orbit consistency.
public struct EvaluationReport: Codable, Sendable {
    /// The figures of one group element.
    public struct ElementMetrics: Codable, Sendable {
        /// `r<quarter turns>` or `r<quarter turns>m` (mirrored first): `GroupElement.reportName`.
        public var element: String
        /// Nil (JSON null) where a metric is undefined on this set.
        public var metrics: [String: Double?]
    }

    /// The pixel grid segmentation metrics are computed on, and the unit of HD95.
    public struct MetricGrid: Codable, Sendable, Equatable {
        /// "model input": every scan and label map resized to the model's input size (label
        /// maps by nearest neighbour), not the scan's own grid.
        public var space: String
        public var width: Int
        public var height: Int
        /// "mm" when every scan's pixel size is known (recorded in its file, or the package's
        /// `trainingData.pixelSpacing`; scaled to this grid), else "px". With "mm", the
        /// metrics also give HD95 in pixels (`meanHD95px`, `hd95Pixels`).
        public var hd95Unit: String
    }

    public var task: TrainingTask
    public var model: String
    /// Scalar metrics on the untransformed test set; nil (JSON null) where undefined.
    public var metrics: [String: Double?]
    public var perClass: [ClassificationMetrics.PerClass]?
    public var perLabel: [SegmentationMetrics.PerLabel]?
    /// `confusion[true][predicted]` (classification).
    public var confusion: [[Int]]?
    /// "C4" or "D4".
    public var group: String
    /// Each scalar metric averaged over the group elements where it is defined
    /// ("C4-avg" / "D4-avg"); nil where it is defined for none.
    public var groupAverage: [String: Double?]
    /// Where segmentation metrics were measured (nil for other tasks).
    public var grid: MetricGrid?
    public var perElement: [ElementMetrics]
    /// Fraction of cases whose prediction is the same under every group element (for
    /// segmentation: the predicted map turned back equals the untransformed prediction pixel
    /// for pixel).
    public var orbitConsistency: Double
    /// Cases evaluated (those in `failures` are not counted).
    public var cases: Int
    /// One line per distinct input conversion applied to the test scans (alpha dropped,
    /// colour to luma, …; see `InputSpec`), each reported once for the whole run.
    public var inputConversions: [String]
    /// Cases left out because their scan or label map could not be loaded.
    public var failures: [CaseFailure] = []
    /// Cases the model trained or validated on, evaluated only with `allowSeen` (their
    /// figures are no test result); empty otherwise.
    public var seenCases: [SeenCase] = []
    /// Bootstrap confidence intervals of `metrics` (over cases; over scans for orientation);
    /// nil (JSON null) where a metric is undefined in every resample.
    public var confidenceIntervals: [String: ConfidenceInterval?] = [:]
    /// How `confidenceIntervals` were made.
    public var bootstrap: BootstrapSettings? = nil

    /// A case that could not be evaluated, and why.
    public struct CaseFailure: Codable, Sendable, Equatable {
        public var file: String
        public var error: String
    }
}

/// Evaluates model packages on labelled folders.
public enum Evaluator {
    /// Runs the package's model over `data` (a class-per-folder tree or a `path,label` CSV for
    /// classifiers; an `images/` + `labels/` folder for segmenters) under every element of its
    /// group.
    ///
    /// Refuses (a `DataError` of kind `.seenCase`) when `data` holds a case the package lists
    /// as a training or validation case, unless `allowSeen`; the report then lists them.
    /// The metrics as given come with percentile bootstrap intervals (`bootstrap`: 1000
    /// seeded resamples of the cases, 95 % by default).
    public static func evaluate(_ package: ModelPackage, data: String, batchSize: Int = 16,
                                allowSeen: Bool = false,
                                bootstrap: BootstrapSettings = BootstrapSettings(),
                                decode: @escaping (String) throws -> Scan = {
                                    try ImageDecoder.decode(path: $0)
                                }) throws -> EvaluationReport {
        let metadata = package.metadata
        guard FileManager.default.fileExists(atPath: data) else {
            throw DataError(.missing, file: data, "no such data folder or file; DATA must be a "
                            + "labelled folder (or a path,label CSV for classifiers)")
        }
        var index: DatasetIndex
        switch metadata.task {
        case .classification:
            let classes = metadata.classes ?? []
            index = data.lowercased().hasSuffix(".csv")
                ? try DatasetIndex.classificationCSV(file: data, classes: classes)
                : try classificationFolders(root: data, classes: classes)
        case .segmentation:
            index = try DatasetIndex.segmentation(root: data,
                                                  labelNames: package.outputNames)
        case .orientation:
            var settings = bootstrap
            settings.unit = "scan"
            return try evaluateOrientation(package, data: data, batchSize: batchSize,
                                           allowSeen: allowSeen, bootstrap: settings,
                                           decode: decode)
        }
        let seen = try checkUnseen(index.cases.map(\.image), package: package,
                                   allowSeen: allowSeen)
        let loader = CaseLoader(input: metadata.input, labelClasses: metadata.labels ?? [],
                                cache: .auto, caseCount: index.cases.count,
                                consumer: package.conversionLog().consumer, decode: decode)
        // Scans whose file records no pixel size have the one the package was trained with.
        loader.assumedPixelSize = metadata.trainingData.pixelSpacing
            .map { PixelSize(x: $0[1], y: $0[0]) }
        let failures = try setAsideFailures(&index, loader: loader)
        let group = ModelFactory.group(metadata.group)
        let loop = EvaluationLoop(model: package.model, batchSize: batchSize)
        let task: PredictionCollector.Task = metadata.task == .classification
            ? .classification(classNames: package.outputNames)
            : .segmentation(labelNames: package.outputNames, hausdorff: true)
        var perElement: [EvaluationReport.ElementMetrics] = []
        var first: (ClassificationMetrics?, SegmentationMetrics?) = (nil, nil)
        var asGiven: PredictionCollector?
        // Per case, the prediction under each group element (turned back for segmentation).
        var predictionsByCase = [[[Int]]](repeating: [], count: index.cases.count)
        for element in group.elements {
            var collector = PredictionCollector(task)
            try loop.run(count: index.cases.count, prepare: { i in
                try Self.turned(loader.load(index.cases[i]), by: element, of: group)
            }, visit: { batch, cases, items, outputs in
                let predictions = collector.add(batch, items: items, outputs: outputs)
                for (i, predicted) in zip(cases, predictions) {
                    guard metadata.task == .segmentation else {
                        predictionsByCase[i].append(predicted)
                        continue
                    }
                    let image = items[i - cases.lowerBound].image
                    let back = group.transform(
                        LabelMap(width: image.width, height: image.height,
                                 values: predicted.map(Int32.init)),
                        by: group.inverse(element))
                    predictionsByCase[i].append(back.values.map(Int.init))
                }
            })
            if asGiven == nil {
                asGiven = collector
                first = (collector.classificationMetrics, collector.segmentationMetrics)
            }
            perElement.append(.init(element: element.reportName, metrics: collector.scalars))
        }
        var average: [String: Double?] = [:]
        for key in perElement[0].metrics.keys {
            let values = perElement.compactMap { $0.metrics[key] ?? nil }
            average[key] = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        let grid = first.1.map {
            EvaluationReport.MetricGrid(space: "model input", width: metadata.input.width,
                                        height: metadata.input.height, hd95Unit: $0.hd95Unit)
        }
        let consistent = predictionsByCase.filter { Set($0).count == 1 }.count
        var report = EvaluationReport(
            task: metadata.task, model: metadata.name, metrics: perElement[0].metrics,
            perClass: first.0?.perClass, perLabel: first.1?.perLabel,
            confusion: first.0?.confusion, group: metadata.group.rawValue,
            groupAverage: average, grid: grid, perElement: perElement,
            orbitConsistency: Double(consistent) / Double(max(index.cases.count, 1)),
            cases: index.cases.count, inputConversions: loader.conversions.lines,
            failures: failures)
        report.seenCases = seen
        report.confidenceIntervals = asGiven?.intervals(bootstrap) ?? [:]
        report.bootstrap = bootstrap
        return report
    }

    /// Loads every case once and removes those that fail from `index`, so that one bad scan
    /// does not stop the evaluation; throws the first failure when no case loads at all.
    static func setAsideFailures(_ index: inout DatasetIndex, loader: CaseLoader) throws
        -> [EvaluationReport.CaseFailure] {
        var usable: [DataCase] = []
        var failures: [EvaluationReport.CaseFailure] = []
        var firstError: Error?
        for dataCase in index.cases {
            do {
                _ = try loader.load(dataCase)
                usable.append(dataCase)
            } catch {
                firstError = firstError ?? error
                // Our loaders throw these; anything else is described by the file alone,
                // never by a Swift error description.
                let message: String
                switch error {
                case let error as CodecError: message = error.description
                case let error as DataError: message = error.description
                default: message = "\(dataCase.image): cannot be loaded"
                }
                failures.append(.init(file: dataCase.image, error: message))
            }
        }
        if usable.isEmpty, let firstError { throw firstError }
        index.cases = usable
        return failures
    }

    /// Every upright scan of `data` turned by every pose of the group: rotation, mirror and
    /// full-pose accuracy, accuracy per true pose, orbit consistency (the canonical form,
    /// predicted pose undone, is the same for every turned copy of a scan), and under the
    /// package's abstention policy the coverage (share of poses acted on) and the selective
    /// rotation and mirror accuracy (on what it acted on).
    static func evaluateOrientation(_ package: ModelPackage, data: String, batchSize: Int,
                                    allowSeen: Bool, bootstrap: BootstrapSettings,
                                    decode: @escaping (String) throws -> Scan) throws
        -> EvaluationReport {
        let metadata = package.metadata
        var index = try DatasetIndex.orientation(sources: [data])
        let seen = try checkUnseen(index.cases.map(\.image), package: package,
                                   allowSeen: allowSeen)
        let loader = CaseLoader(input: metadata.input, cache: .auto,
                                caseCount: index.cases.count,
                                consumer: package.conversionLog().consumer, decode: decode)
        loader.antialiased = true  // as canonicalize and the pipeline stage resize scans
        let failures = try setAsideFailures(&index, loader: loader)
        let group = ModelFactory.group(metadata.group)
        let found = try OrientationPoses(model: package.model, cases: index.cases, loader: loader,
                                         group: group, batchSize: batchSize)
        let abstention = metadata.poseAbstention()
        func figures(_ m: OrientationMetrics) -> [String: Double?] {
            var scalars: [String: Double?] = [
                "rotationAccuracy": m.rotationAccuracy, "mirrorAccuracy": m.mirrorAccuracy,
                "poseAccuracy": m.poseAccuracy, "coverage": m.coverage,
                "selectiveRotationAccuracy": m.selectiveRotationAccuracy]
            if group.kind == .dihedral {
                scalars["mirrorCoverage"] = m.mirrorCoverage
                scalars["selectiveMirrorAccuracy"] = m.selectiveMirrorAccuracy
            }
            return scalars
        }
        let m = found.metrics(abstention: abstention)
        let scalars = figures(m)
        let perElement = group.elements.map { pose in
            EvaluationReport.ElementMetrics(
                element: pose.reportName, metrics: ["poseAccuracy": m.perPose[pose.reportName]])
        }
        var report = EvaluationReport(
            task: .orientation, model: metadata.name, metrics: scalars, perClass: nil,
            perLabel: nil, confusion: nil, group: metadata.group.rawValue,
            groupAverage: scalars, grid: nil, perElement: perElement,
            orbitConsistency: found.orbitConsistency,
            cases: index.cases.count, inputConversions: loader.conversions.lines,
            failures: failures)
        report.seenCases = seen
        // Resampled over scans, each with all its turned copies.
        report.confidenceIntervals = Bootstrap.intervals(count: index.cases.count,
                                                         settings: bootstrap) { drawn in
            var part = found
            let picked = drawn.flatMap { ($0 * group.order)..<(($0 + 1) * group.order) }
            part.truth = picked.map { found.truth[$0] }
            part.estimates = picked.map { found.estimates[$0] }
            return figures(part.metrics(abstention: abstention))
        }
        report.bootstrap = bootstrap
        return report
    }

    /// Like `DatasetIndex.classificationFolders`, but a test set may lack some classes.
    static func classificationFolders(root: String, classes: [String]) throws -> DatasetIndex {
        let present = classes.filter {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(
                atPath: (root as NSString).appendingPathComponent($0), isDirectory: &isFolder)
                && isFolder.boolValue
        }
        guard !present.isEmpty else {
            throw DataError(.missing, file: root, "holds no folder named after a class of the "
                            + "model (" + classes.joined(separator: ", ") + "); DATA must "
                            + "hold one folder of scans per class")
        }
        let partial = try DatasetIndex.classificationFolders(root: root, classes: present)
        // Re-number to the model's class order.
        let cases = partial.cases.map { c -> DataCase in
            guard case .classIndex(let k) = c.target,
                  let full = classes.firstIndex(of: present[k]) else { return c }
            return DataCase(image: c.image, target: .classIndex(full))
        }
        return DatasetIndex(cases: cases, classNames: classes)
    }

    /// `item` turned by `element`: the image and its label map; a quarter turn swaps the
    /// grid's axes, and so its pixel size.
    static func turned(_ item: LoadedCase, by element: GroupElement, of group: Group)
        -> LoadedCase {
        var item = item
        item.image = group.transform(item.image, by: element)
        item.labels = item.labels.map { group.transform($0, by: element) }
        if element.rotation % 2 == 1 {
            item.pixelSizeMM = item.pixelSizeMM.map { PixelSize(x: $0.y, y: $0.x) }
        }
        return item
    }
}
