import Canonicalization
import Equivariance
import ModelRuntime
import SafeFiles
import StrictJSON

/// How well an orientation canonicalizer recovers poses.
///
/// `rotationAccuracy` and `mirrorAccuracy` judge the two parts separately; `poseAccuracy`
/// requires both. For C4 models every case is unmirrored, so mirror accuracy is 1.
public struct OrientationMetrics: Sendable, Equatable, Codable {
    public var cases: Int
    public var rotationAccuracy: Double
    public var mirrorAccuracy: Double
    public var poseAccuracy: Double
    /// Pose accuracy per true pose, keyed `r<rotation>` or `r<rotation>m` (mirrored), as
    /// `GroupElement.reportName` writes them.
    public var perPose: [String: Double]
    /// With an abstention policy: the share of cases whose rotation was acted on (not
    /// uncertain); nil without one.
    public var coverage: Double? = nil
    /// Rotation accuracy on the cases acted on; nil without a policy or when none was.
    public var selectiveRotationAccuracy: Double? = nil
    /// Share of all cases whose rotation and mirror were both acted on.
    public var mirrorCoverage: Double? = nil
    /// Mirror accuracy on the cases whose mirror was acted on; nil when none was.
    public var selectiveMirrorAccuracy: Double? = nil

    public init(truth: [GroupElement], predicted: [GroupElement]) {
        precondition(truth.count == predicted.count, "one prediction per true pose")
        let n = Double(max(truth.count, 1))
        cases = truth.count
        rotationAccuracy = Double(zip(truth, predicted).filter { $0.rotation == $1.rotation }
            .count) / n
        mirrorAccuracy = Double(zip(truth, predicted).filter { $0.mirrored == $1.mirrored }
            .count) / n
        poseAccuracy = Double(zip(truth, predicted).filter { $0 == $1 }.count) / n
        var hits: [String: (Int, Int)] = [:]
        for (t, p) in zip(truth, predicted) {
            let key = t.reportName
            let old = hits[key] ?? (0, 0)
            hits[key] = (old.0 + (t == p ? 1 : 0), old.1 + 1)
        }
        perPose = hits.mapValues { Double($0.0) / Double($0.1) }
    }

    /// The metrics of `estimates` against `truth`, and with `abstention` the coverage and
    /// selective accuracies of the poses it acts on.
    public init(truth: [GroupElement], estimates: [PoseEstimate], abstention: PoseAbstention?) {
        self.init(truth: truth, predicted: estimates.map(\.element))
        guard let abstention else { return }
        let n = Double(max(truth.count, 1))
        let turned = zip(truth, estimates).filter { !abstention.isUncertain($0.1) }
        let mirrored = turned.filter { !abstention.isMirrorUncertain($0.1) }
        coverage = Double(turned.count) / n
        mirrorCoverage = Double(mirrored.count) / n
        if !turned.isEmpty {
            selectiveRotationAccuracy = Double(turned.filter {
                $0.0.rotation == $0.1.element.rotation
            }.count) / Double(turned.count)
        }
        if !mirrored.isEmpty {
            selectiveMirrorAccuracy = Double(mirrored.filter {
                $0.0.mirrored == $0.1.mirrored
            }.count) / Double(mirrored.count)
        }
    }
}
