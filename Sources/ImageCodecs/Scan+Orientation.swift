/// Exact pixel-grid transforms: the eight EXIF/TIFF orientations, quarter turns and mirrors.
///
/// All of them are pure index permutations (no resampling), so applying a transform and its
/// inverse gives back the identical scan.
extension Scan {
    /// Maps the stored image to its display orientation for an EXIF/TIFF Orientation value.
    ///
    /// Same transforms as Pillow's `ImageOps.exif_transpose`: 1 none, 2 mirror left-right,
    /// 3 rotate 180, 4 mirror top-bottom, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
    /// 8 rotate 90 counter-clockwise. Values outside 1…8 leave the samples unchanged. The
    /// result's metadata records `orientation = value`, `orientationApplied = true`.
    public func applyingOrientation(_ value: Int) -> Scan {
        let transform: PixelTransform
        switch value {
        case 2: transform = .mirror
        case 3: transform = .rotate180
        case 4: transform = .flipVertical
        case 5: transform = .transpose
        case 6: transform = .rotateClockwise
        case 7: transform = .transverse
        case 8: transform = .rotateCounterClockwise
        default: transform = .identity
        }
        var result = transformed(transform)
        result.metadata.orientation = value
        result.metadata.orientationApplied = true
        return result
    }

    /// Rotates by `k` quarter turns counter-clockwise as seen on screen (numpy `rot90(a, k)`
    /// on an (H, W) array); negative `k` turns clockwise.
    public func rotated90(times k: Int) -> Scan {
        switch ((k % 4) + 4) % 4 {
        case 1: return transformed(.rotateCounterClockwise)
        case 2: return transformed(.rotate180)
        case 3: return transformed(.rotateClockwise)
        default: return self
        }
    }

    /// Mirrors along the width: column x becomes column `width - 1 - x`.
    public func mirrored() -> Scan {
        transformed(.mirror)
    }

    func transformed(_ transform: PixelTransform) -> Scan {
        if transform == .identity {
            return self
        }
        let plan = transform.plan(width: width, height: height)
        let remapped: Samples
        switch samples {
        case .uint8(let a): remapped = .uint8(plan.apply(a, channels: channels))
        case .int8(let a): remapped = .int8(plan.apply(a, channels: channels))
        case .uint16(let a): remapped = .uint16(plan.apply(a, channels: channels))
        case .int16(let a): remapped = .int16(plan.apply(a, channels: channels))
        case .uint32(let a): remapped = .uint32(plan.apply(a, channels: channels))
        case .int32(let a): remapped = .int32(plan.apply(a, channels: channels))
        case .float32(let a): remapped = .float32(plan.apply(a, channels: channels))
        case .float64(let a): remapped = .float64(plan.apply(a, channels: channels))
        }
        var newMetadata = metadata
        if transform.swapsAxes, let size = metadata.pixelSizeMM {
            // The physical width of a pixel follows the axis it moved to.
            newMetadata.pixelSizeMM = PixelSize(x: size.y, y: size.x)
        }
        return Scan(width: plan.width, height: plan.height, channels: channels,
                    samples: remapped, metadata: newMetadata)
    }
}

/// The eight symmetries of the pixel grid.
enum PixelTransform: Equatable {
    case identity, mirror, rotate180, flipVertical, transpose, rotateClockwise, transverse,
         rotateCounterClockwise

    /// Whether rows become columns (the output is H × W).
    var swapsAxes: Bool {
        switch self {
        case .transpose, .rotateClockwise, .transverse, .rotateCounterClockwise: return true
        default: return false
        }
    }

    /// Output size and, for output pixel (x', y'), the source pixel index
    /// `origin + x' · stepX + y' · stepY` (in pixels, row-major source of size W × H).
    func plan(width w: Int, height h: Int) -> RemapPlan {
        switch self {
        case .identity:
            return RemapPlan(width: w, height: h, origin: 0, stepX: 1, stepY: w)
        case .mirror:
            return RemapPlan(width: w, height: h, origin: w - 1, stepX: -1, stepY: w)
        case .rotate180:
            return RemapPlan(width: w, height: h, origin: h * w - 1, stepX: -1, stepY: -w)
        case .flipVertical:
            return RemapPlan(width: w, height: h, origin: (h - 1) * w, stepX: 1, stepY: -w)
        case .transpose:
            // out(x', y') = in(x = y', y = x')
            return RemapPlan(width: h, height: w, origin: 0, stepX: w, stepY: 1)
        case .rotateClockwise:
            // out(x', y') = in(x = y', y = H - 1 - x')
            return RemapPlan(width: h, height: w, origin: (h - 1) * w, stepX: -w, stepY: 1)
        case .transverse:
            // out(x', y') = in(x = W - 1 - y', y = H - 1 - x')
            return RemapPlan(width: h, height: w, origin: h * w - 1, stepX: -w, stepY: -1)
        case .rotateCounterClockwise:
            // out(x', y') = in(x = W - 1 - y', y = x')
            return RemapPlan(width: h, height: w, origin: w - 1, stepX: w, stepY: -1)
        }
    }
}

/// A pixel permutation in affine index form; see `PixelTransform.plan`.
struct RemapPlan {
    var width: Int
    var height: Int
    var origin: Int
    var stepX: Int
    var stepY: Int

    func apply<T>(_ source: [T], channels: Int) -> [T] {
        let count = width * height * channels
        return [T](unsafeUninitializedCapacity: count) { out, initialized in
            source.withUnsafeBufferPointer { src in
                guard let dst = out.baseAddress, let base = src.baseAddress else { return }
                var o = 0
                for y in 0..<height {
                    var s = origin + y * stepY
                    if channels == 1 {
                        for _ in 0..<width {
                            (dst + o).initialize(to: base[s])
                            o += 1
                            s += stepX
                        }
                    } else {
                        for _ in 0..<width {
                            let p = s * channels
                            for c in 0..<channels {
                                (dst + o + c).initialize(to: base[p + c])
                            }
                            o += channels
                            s += stepX
                        }
                    }
                }
            }
            initialized = count
        }
    }
}
