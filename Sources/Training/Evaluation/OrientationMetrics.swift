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
}
