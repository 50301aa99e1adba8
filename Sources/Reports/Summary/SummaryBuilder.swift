/// Builds `ReportSummary` from records seen one at a time: it keeps a few numbers per case
/// (confidence, areas, seconds), never the records themselves.
public struct SummaryBuilder {
    public let manifest: RunManifest
    public let settings: ReportSettings
    let table: PredictionsTable
    private(set) var counts = ReportSummary.Counts(cases: 0, ok: 0, failed: 0, poseUncertain: 0,
                                                   poseMirrorUncertain: 0, flagged: 0)
    private(set) var classes: [String: Int] = [:]
    private(set) var confidences: [Double] = []
    private(set) var areasPx: [String: [Double]] = [:]
    private(set) var areasMm2: [String: [Double]] = [:]
    private(set) var poses: [String: Int] = [:]
    private(set) var seconds: [String: [Double]] = [:]
    private(set) var orbitChecked = 0
    private(set) var inconsistent: [String] = []

    /// Pose names in the order of group elements (`r0` … `r3`, then the mirrored ones).
    public static let poseNames = (0..<8).map { CaseRecord.Pose(
        rotation: $0 % 4, mirrored: $0 >= 4, confidence: 0).name }

    public init(manifest: RunManifest, settings: ReportSettings) {
        self.manifest = manifest
        self.settings = settings
        table = PredictionsTable(models: manifest.models, settings: settings)
    }

    public mutating func add(_ record: CaseRecord) {
        counts.cases += 1
        for (stage, value) in record.stageSeconds { seconds[stage, default: []].append(value) }
        seconds["case", default: []].append(record.seconds)
        if let orbit = record.orbit { seconds["orbit", default: []].append(orbit.seconds) }
        guard record.status == .ok else {
            counts.failed += 1
            return
        }
        counts.ok += 1
        if let classification = record.classification {
            classes[classification.label, default: 0] += 1
            confidences.append(classification.confidence)
        }
        if let segmentation = record.segmentation {
            for (label, area) in segmentation.areasPx {
                areasPx[label, default: []].append(Double(area))
            }
            for (label, area) in segmentation.areasMm2 ?? [:] {
                areasMm2[label, default: []].append(area)
            }
        }
        if let pose = record.pose {
            poses[pose.name, default: 0] += 1
            if pose.uncertain { counts.poseUncertain += 1 }
            if pose.mirrorUncertain { counts.poseMirrorUncertain += 1 }
        }
        if let orbit = record.orbit {
            orbitChecked += 1
            if !orbit.consistent {
                counts.flagged += 1
                inconsistent.append(record.case)
            }
        }
    }

    public func summary() -> ReportSummary {
        let hasClassifier = !table.classes.isEmpty || !classes.isEmpty
        var classCounts = classes
        for name in table.classes where classCounts[name] == nil { classCounts[name] = 0 }
        let hasSegmenter = !table.labels.isEmpty || !areasPx.isEmpty
        let areas = hasSegmenter ? ReportSummary.Areas(
            px: areasPx.compactMapValues { Distribution($0) },
            mm2: areasMm2.isEmpty ? nil : areasMm2.compactMapValues { Distribution($0) }) : nil
        let hasPoses = manifest.models.contains { $0.stage.hasSuffix(" CanonicalizeOrientation") }
            || !poses.isEmpty
        var poseCounts = poses
        for name in Self.poseNames where poseCounts[name] == nil { poseCounts[name] = 0 }
        let orbit = settings.orbitCheck || orbitChecked > 0
            ? ReportSummary.Orbit(checked: orbitChecked, consistent: orbitChecked
                                  - inconsistent.count, inconsistent: inconsistent.sorted())
            : nil
        return ReportSummary(counts: counts, classes: hasClassifier ? classCounts : nil,
                             confidence: Distribution(confidences), areas: areas,
                             poses: hasPoses ? poseCounts : nil,
                             timing: seconds.compactMapValues { Timing($0) }, orbit: orbit,
                             provenance: manifest)
    }
}
