import PixelGrid

/// Exact pixel-grid transforms: the eight EXIF/TIFF orientations, quarter turns and mirrors.
///
/// All of them are pure index permutations (no resampling) through `GridTurn`, so applying a
/// transform and its inverse gives back the identical scan.
extension Scan {
    /// Maps the stored image to its display orientation for an EXIF/TIFF Orientation value.
    ///
    /// Same transforms as Pillow's `ImageOps.exif_transpose`: 1 none, 2 mirror left-right,
    /// 3 rotate 180, 4 mirror top-bottom, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
    /// 8 rotate 90 counter-clockwise. Values outside 1…8 leave the samples unchanged. The
    /// result's metadata records `orientation = value`, `orientationApplied = true`.
    public func applyingOrientation(_ value: Int) -> Scan {
        // Each orientation as quarter turns counter-clockwise after an optional mirror:
        // mirror top-bottom = R² F, transpose = R F, transverse = R³ F.
        let (quarterTurns, mirrored): (Int, Bool)
        switch value {
        case 2: (quarterTurns, mirrored) = (0, true)
        case 3: (quarterTurns, mirrored) = (2, false)
        case 4: (quarterTurns, mirrored) = (2, true)
        case 5: (quarterTurns, mirrored) = (1, true)
        case 6: (quarterTurns, mirrored) = (3, false)
        case 7: (quarterTurns, mirrored) = (3, true)
        case 8: (quarterTurns, mirrored) = (1, false)
        default: (quarterTurns, mirrored) = (0, false)
        }
        var result = transformed(quarterTurns: quarterTurns, mirrored: mirrored)
        result.metadata.orientation = value
        result.metadata.orientationApplied = true
        return result
    }

    /// Rotates by `k` quarter turns counter-clockwise as seen on screen (numpy `rot90(a, k)`
    /// on an (H, W) array); negative `k` turns clockwise.
    public func rotated90(times k: Int) -> Scan {
        transformed(quarterTurns: k, mirrored: false)
    }

    /// Mirrors along the width: column x becomes column `width - 1 - x`.
    public func mirrored() -> Scan {
        transformed(quarterTurns: 0, mirrored: true)
    }

    /// `quarterTurns` counter-clockwise quarter turns after an optional left-right mirror.
    func transformed(quarterTurns: Int, mirrored: Bool) -> Scan {
        let turn = GridTurn(quarterTurns: quarterTurns, mirrored: mirrored, height: height,
                            width: width)
        if turn.isIdentity {
            return self
        }
        let remapped: Samples
        switch samples {
        case .uint8(let a): remapped = .uint8(turn.apply(a, channels: channels))
        case .int8(let a): remapped = .int8(turn.apply(a, channels: channels))
        case .uint16(let a): remapped = .uint16(turn.apply(a, channels: channels))
        case .int16(let a): remapped = .int16(turn.apply(a, channels: channels))
        case .uint32(let a): remapped = .uint32(turn.apply(a, channels: channels))
        case .int32(let a): remapped = .int32(turn.apply(a, channels: channels))
        case .float32(let a): remapped = .float32(turn.apply(a, channels: channels))
        case .float64(let a): remapped = .float64(turn.apply(a, channels: channels))
        }
        var newMetadata = metadata
        if turn.swapsAxes, let size = metadata.pixelSizeMM {
            // The physical width of a pixel follows the axis it moved to.
            newMetadata.pixelSizeMM = PixelSize(x: size.y, y: size.x)
        }
        return Scan(width: turn.width, height: turn.height, channels: channels,
                    samples: remapped, metadata: newMetadata)
    }
}
