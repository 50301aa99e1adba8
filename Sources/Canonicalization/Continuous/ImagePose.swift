import Equivariance
import Foundation
import TensorCore

/// What points a scan gives the continuous canonicalizer, stored with a model.
public struct KeypointSpec: Codable, Equatable, Sendable {
    /// Cells across the disc inscribed in the scan's centred square (`ScanKeypoints`).
    public var grid: Int
    /// Intensity mapping of the cells, per scan.
    public var normalization: IntensityNormalization

    /// Defaults: a 24-cell grid (about 450 points) and percentiles 1–99.5.
    public init(grid: Int = 24,
                normalization: IntensityNormalization = .percentile(lower: 1, upper: 99.5)) {
        self.grid = grid
        self.normalization = normalization
    }

    /// The intensity-weighted keypoints of one gray plane (H·W samples, row-major).
    public func points(plane: [Float], height: Int, width: Int) -> PointSet {
        let mapping = ScorerPreprocessing(normalization: normalization)
        return ScanKeypoints.intensityKeypoints(plane: plane, height: height, width: width,
                                                grid: grid, normalize: mapping.normalize)
    }
}

/// The pose of a scan found by a continuous canonicalizer: the scan equals its canonical form
/// mirrored left-right (when `mirrored`) and then turned counter-clockwise by `angleDegrees`
/// about the scan's centre.
public struct ImagePose: Equatable, Sendable, Codable {
    /// Counter-clockwise turn in degrees, in (−180, 180].
    public let angleDegrees: Double
    /// Whether a left-right mirror comes before the turn.
    public let mirrored: Bool

    /// A pose given directly; the angle is wrapped into (−180, 180].
    public init(angleDegrees: Double, mirrored: Bool) {
        self.angleDegrees = OrientationFrame.angleDifference(angleDegrees * .pi / 180, 0)
            * 180 / .pi
        self.mirrored = mirrored
    }

    /// The pose of a frame of points in x-right, y-up coordinates (`ScanKeypoints`): the same
    /// angle and left-right mirror.
    public init(frame: OrientationFrame) {
        self.init(angleDegrees: frame.degrees, mirrored: frame.mirrored)
    }

    /// The frame of the scan's keypoints for this pose: angle in radians and the mirror, the
    /// inverse of `init(frame:)`.
    public var frame: (angle: Double, mirrored: Bool) {
        (angleDegrees * .pi / 180, mirrored)
    }

    /// The nearest number of quarter turns counter-clockwise, 0…3.
    public var quarterTurns: Int {
        ((Int((angleDegrees / 90).rounded()) % 4) + 4) % 4
    }

    /// The canonical form of (…, H, W) planes: the turn by −angle, then the mirror (the
    /// inverse of the pose). Corners that the turn brings in read `edges`.
    public func canonical(_ planes: Tensor, interpolation: RotationInterpolation = .bilinear,
                          edges: EdgeMode = .zero) -> Tensor {
        let (height, width) = (planes.shape[planes.rank - 2], planes.shape[planes.rank - 1])
        let turned = PlaneRotation(angle: -angleDegrees * .pi / 180, height: height,
                                   width: width, interpolation: interpolation, edges: edges)
            .apply(planes)
        return mirrored ? Self.mirrorLeftRight(turned) : turned
    }

    /// Planes of the canonical form moved back onto the scan: the mirror, then the turn by
    /// the angle. Masks and label maps use `.nearest` so that no new labels appear.
    public func toScan(_ planes: Tensor, interpolation: RotationInterpolation = .nearest,
                       edges: EdgeMode = .zero) -> Tensor {
        let (height, width) = (planes.shape[planes.rank - 2], planes.shape[planes.rank - 1])
        let mirroredPlanes = mirrored ? Self.mirrorLeftRight(planes) : planes
        return PlaneRotation(angle: angleDegrees * .pi / 180, height: height, width: width,
                             interpolation: interpolation, edges: edges).apply(mirroredPlanes)
    }

    /// Every (H, W) plane mirrored left-right (the mirror F of D4, `Group.transformPlanes`).
    static func mirrorLeftRight(_ planes: Tensor) -> Tensor {
        Group.d4.transformPlanes(planes, by: GroupElement(mirrored: true, rotation: 0))
    }
}
