import Canonicalization
import ModelRuntime
import Reports

extension StageRuntime {
    /// `"method": "egnn"`: the arbitrary-angle pose from the keypoints of the gray image (luma
    /// of colour), the image turned into its canonical frame by interpolation; the record's
    /// pose is the nearest quarter turn with confidence 1, and carries the angle.
    func canonicalizeContinuous(_ planes: ImagePlanes, _ geometry: ValueGeometry,
                                _ stage: PlannedStage,
                                _ context: inout CaseContext) throws -> CaseValue {
        let canonicalizer = try models.continuousCanonicalizer(for: stage)
        let gray = planes.channels == 3 ? Self.luma(planes) : planes
        guard gray.channels == 1 else {
            throw StageFailure("\(context.source.path): the continuous canonicalizer takes gray "
                               + "or RGB images, the image has \(planes.channels) channels")
        }
        let pose = try canonicalizer.pose(ofPlane: gray.values, height: gray.height,
                                          width: gray.width, file: context.source.path)
        let record = CaseRecord.Pose(rotation: pose.quarterTurns, mirrored: pose.mirrored,
                                     confidence: 1, angleDegrees: pose.angleDegrees)
        context.pose = record
        context.appliedPose = record
        context.continuousPose = pose
        return Geometry.applyContinuousPose(pose, to: .image(planes, .raw, geometry),
                                            frame: .canonical, inverse: true)
    }
}
