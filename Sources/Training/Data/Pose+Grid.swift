import ModelRuntime
import SafeFiles
import StrictJSON

/// Exact pixel-grid transforms of poses on planes and label maps.
///
/// `apply(to:)` maps an upright image x to `rot^r(mirror^m(x))`: first an optional left-right
/// mirror, then `rotation` quarter turns counter-clockwise (NumPy `rot90(a, r)` on (H, W)).
/// This is the convention of `Pose`: a scan equals its pose applied to its upright form.
extension Pose {
    /// All poses of C4 (unmirrored) or D4, identity first, unmirrored before mirrored.
    public static func all(group: GroupName) -> [Pose] {
        let rotations = (0..<4).map { Pose(rotation: $0, mirrored: false) }
        guard group == .d4 else { return rotations }
        return rotations + (0..<4).map { Pose(rotation: $0, mirrored: true) }
    }

    public static let identity = Pose(rotation: 0, mirrored: false)

    /// The pose that undoes this one: `inverse.apply(apply(x)) == x`. A mirrored pose is its
    /// own inverse, because m ∘ rot^-r = rot^r ∘ m.
    public var inverse: Pose {
        mirrored ? self : Pose(rotation: (4 - rotation) % 4, mirrored: false)
    }

    /// Applies the pose to every channel of `planes`.
    public func apply(to planes: ImagePlanes) -> ImagePlanes {
        let (values, width, height) = Self.transform(planes.values, channels: planes.channels,
                                                     width: planes.width,
                                                     height: planes.height, pose: self)
        return ImagePlanes(channels: planes.channels, width: width, height: height,
                           values: values)
    }

    /// Applies the pose to a label map.
    public func apply(to labels: LabelMap) -> LabelMap {
        let (values, width, height) = Self.transform(labels.values, channels: 1,
                                                     width: labels.width,
                                                     height: labels.height, pose: self)
        return LabelMap(width: width, height: height, values: values)
    }

    /// Index permutation behind `apply`: output (y, x) reads the source pixel found by undoing
    /// the rotation, then the mirror.
    static func transform<T>(_ values: [T], channels: Int, width: Int, height: Int,
                             pose: Pose) -> ([T], Int, Int) {
        if pose == .identity { return (values, width, height) }
        let turned = pose.rotation % 2 == 1
        let outWidth = turned ? height : width
        let outHeight = turned ? width : height
        var out = values
        for c in 0..<channels {
            let base = c * width * height
            for y in 0..<outHeight {
                for x in 0..<outWidth {
                    // Rotation by r CCW: (NumPy rot90) out[y][x] = in after r inverse turns.
                    var sx = x
                    var sy = y
                    var w = outWidth
                    var h = outHeight
                    for _ in 0..<pose.rotation {
                        // One CCW turn maps in(H_in=h', W_in=w') to out(w', h') with
                        // out[y][x] = in[x][w' - 1 - y]; here w' = h (current out height).
                        let nx = h - 1 - sy
                        let ny = sx
                        sx = nx
                        sy = ny
                        swap(&w, &h)
                    }
                    if pose.mirrored { sx = width - 1 - sx }
                    out[base + y * outWidth + x] = values[base + sy * width + sx]
                }
            }
        }
        return (out, outWidth, outHeight)
    }
}

extension Pose {
    /// The pose `self ∘ other`: applying the result equals applying `other`, then `self`.
    public func composed(with other: Pose) -> Pose {
        // Found by acting on an asymmetric 3x2 probe: D4 acts freely on its pixel labels.
        let probe = LabelMap(width: 3, height: 2, values: [0, 1, 2, 3, 4, 5])
        let target = apply(to: other.apply(to: probe))
        for candidate in Pose.all(group: .d4) where candidate.apply(to: probe) == target {
            return candidate
        }
        preconditionFailure("D4 is closed under composition")
    }
}
