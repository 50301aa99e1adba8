/// When a pose is too unsure to act on: below `minConfidence`, or always where the rotation is
/// not identifiable, the rotation is uncertain and nothing is turned; below
/// `mirrorMinConfidence`, or always where the mirror is not identifiable, the mirror is
/// uncertain and the scan is turned by the rotation alone.
///
/// Thresholds compare with `PoseEstimate.rotationConfidence` and `mirrorConfidence`; a value
/// equal to the threshold acts. The defaults (0, 0, identifiable) never abstain, which is how
/// packages made before calibration behave.
public struct PoseAbstention: Equatable, Sendable {
    /// Rotation confidence below which the pose is uncertain.
    public var minConfidence: Double
    /// False for a model none of whose rotation thresholds reached the calibration target on
    /// its validation scans: every pose is uncertain and nothing is turned.
    public var rotationIdentifiable: Bool
    /// Mirror confidence below which the mirror bit is uncertain.
    public var mirrorMinConfidence: Double
    /// False for a model whose mirror decisions were no better than the calibration target on
    /// any share of the validation scans (near-symmetric anatomy): every mirror is uncertain.
    public var mirrorIdentifiable: Bool

    /// A policy; the defaults never abstain.
    public init(minConfidence: Double = 0, mirrorMinConfidence: Double = 0,
                mirrorIdentifiable: Bool = true, rotationIdentifiable: Bool = true) {
        self.minConfidence = minConfidence
        self.rotationIdentifiable = rotationIdentifiable
        self.mirrorMinConfidence = mirrorMinConfidence
        self.mirrorIdentifiable = mirrorIdentifiable
    }

    /// Whether the rotation of `pose` is too unsure to turn the scan.
    public func isUncertain(_ pose: PoseEstimate) -> Bool {
        !rotationIdentifiable || Double(pose.rotationConfidence) < minConfidence
    }

    /// Whether the mirror bit of `pose` is too unsure to mirror the scan (never for groups
    /// without mirrors).
    public func isMirrorUncertain(_ pose: PoseEstimate) -> Bool {
        guard pose.group.kind == .dihedral else { return false }
        return !mirrorIdentifiable || Double(pose.mirrorConfidence) < mirrorMinConfidence
    }
}
