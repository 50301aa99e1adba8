import Canonicalization
import ModelRuntime
import Reports
import TensorCore

/// The geometric ops (`Resize`, `CenterSpatialCrop`, `SpatialPad`, `Rotate90`, `Flip`) and
/// the pose turns, on any spatial value: images and probabilities are resampled bilinearly,
/// masks by nearest neighbour so no new labels appear.
enum Geometry {
    static func apply(_ spec: StageSpec, to value: CaseValue) throws -> CaseValue {
        switch spec.op {
        case .resize:
            let size = spec.sizeValue("spatial_size")
            return map(value) { planes in
                planes.resizedBilinear(width: size.width, height: size.height)
            } masks: { map in
                map.resizedNearest(width: size.width, height: size.height)
            } geometry: { geometry, old in
                geometry.resized(from: old, to: size)
            }
        case .centerSpatialCrop:
            let size = spec.sizeValue("roi_size")
            return map(value) { planes in
                StageTransforms.centerSpatialCrop(planes, width: size.width, height: size.height)
            } masks: { map in
                StageTransforms.centerSpatialCrop(map, width: size.width, height: size.height)
            }
        case .spatialPad:
            let size = spec.sizeValue("spatial_size")
            return map(value) { planes in
                StageTransforms.spatialPad(planes, width: size.width, height: size.height)
            } masks: { map in
                StageTransforms.spatialPad(map, width: size.width, height: size.height)
            }
        case .rotate90:
            return turn(value, quarterTurns: spec.integerValue("k"), mirrored: false)
        case .flip:
            let axis = spec.integerValue("spatial_axis")
            return map(value) { planes in
                StageTransforms.flip(planes, spatialAxis: axis)
            } masks: { map in
                StageTransforms.flip(map, spatialAxis: axis)
            }
        default:
            preconditionFailure("\(spec.op.rawValue) is not a geometric op")
        }
    }

    /// `value` moved by the pose (a mirror when `mirrored`, then the quarter turns), or by its
    /// inverse, and marked as lying in `frame`.
    static func applyPose(_ pose: CaseRecord.Pose, to value: CaseValue, frame: ValueFrame,
                          inverse: Bool = false) -> CaseValue {
        // R^r F is its own inverse; R^r's inverse is R^-r.
        let turns = inverse && !pose.mirrored ? -pose.rotation : pose.rotation
        let moved = turn(value, quarterTurns: turns, mirrored: pose.mirrored)
        return reframed(moved, frame)
    }

    /// `value` mapped by a continuous pose, keeping its extent: to the canonical frame (the
    /// inverse of the pose; images and probabilities bilinear) or back to the scan (masks
    /// nearest, so no new labels appear). Samples turned in from outside the plane are 0.
    static func applyContinuousPose(_ pose: ImagePose, to value: CaseValue, frame: ValueFrame,
                                    inverse: Bool) -> CaseValue {
        func move(_ tensor: Tensor, _ interpolation: RotationInterpolation) -> Tensor {
            inverse ? pose.canonical(tensor, interpolation: interpolation)
                : pose.toScan(tensor, interpolation: interpolation)
        }
        let moved = map(value) { planes in
            let tensor = Tensor(shape: [planes.channels, planes.height, planes.width],
                                storage: planes.values)
            return ImagePlanes(channels: planes.channels, width: planes.width,
                               height: planes.height, values: move(tensor, .bilinear).storage)
        } masks: { labels in
            let tensor = Tensor(shape: [labels.height, labels.width],
                                storage: labels.values.map { Float($0) })
            return LabelMap(width: labels.width, height: labels.height,
                            values: move(tensor, .nearest).storage.map { Int32($0) })
        }
        return reframed(moved, frame)
    }

    /// A left-right mirror when `mirrored`, then `quarterTurns` counter-clockwise turns.
    static func turn(_ value: CaseValue, quarterTurns: Int, mirrored: Bool) -> CaseValue {
        let k = ((quarterTurns % 4) + 4) % 4
        return map(value) { planes in
            StageTransforms.rotate90(mirrored ? StageTransforms.flip(planes, spatialAxis: 1)
                                              : planes, k: k)
        } masks: { map in
            StageTransforms.rotate90(mirrored ? StageTransforms.flip(map, spatialAxis: 1) : map,
                                     k: k)
        } geometry: { geometry, _ in
            geometry.turned(k)
        }
    }

    private static func reframed(_ value: CaseValue, _ frame: ValueFrame) -> CaseValue {
        switch value {
        case .image(let planes, let intensity, var geometry):
            geometry.frame = frame
            return .image(planes, intensity, geometry)
        case .probabilities(let planes, let labels, var geometry):
            geometry.frame = frame
            return .probabilities(planes, labels: labels, geometry)
        case .mask(let map, let labels, var geometry):
            geometry.frame = frame
            return .mask(map, labels: labels, geometry)
        case .classification:
            return value
        }
    }

    /// `value` with its planes or label map replaced; `geometry` gets the old geometry and
    /// size and gives the new geometry (unchanged by default).
    private static func map(
        _ value: CaseValue, planes: (ImagePlanes) -> ImagePlanes,
        masks: (LabelMap) -> LabelMap,
        geometry: (ValueGeometry, (width: Int, height: Int)) -> ValueGeometry = { g, _ in g }
    ) -> CaseValue {
        switch value {
        case .image(let p, let intensity, let g):
            return .image(planes(p), intensity, geometry(g, (p.width, p.height)))
        case .probabilities(let p, let labels, let g):
            return .probabilities(planes(p), labels: labels, geometry(g, (p.width, p.height)))
        case .mask(let m, let labels, let g):
            return .mask(masks(m), labels: labels, geometry(g, (m.width, m.height)))
        case .classification:
            return value
        }
    }
}
