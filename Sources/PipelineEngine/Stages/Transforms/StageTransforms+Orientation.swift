import ImageCodecs
import ModelRuntime
import PixelGrid

extension StageTransforms {
    /// MONAI `Rotate90(k, spatial_axes=(0, 1))`: `k` counter-clockwise quarter turns as seen on
    /// screen with row 0 at the top, numpy `rot90(a, k)` on each (H, W) plane: one turn reads
    /// `out[i][j] = a[j][W − 1 − i]`, so the top-right pixel becomes the top-left one and the
    /// result is W × H. Negative `k` turns clockwise. The indices are `GridTurn`'s
    /// (`quarterTurns: k`, not mirrored); `pixelSize(_:rotatedBy:)` gives the new pixel size.
    public static func rotate90(_ image: ImagePlanes, k: Int) -> ImagePlanes {
        moved(image, by: GridTurn(quarterTurns: k, height: image.height, width: image.width))
    }

    /// `rotate90(_:k:)` of a mask.
    public static func rotate90(_ mask: LabelMap, k: Int) -> LabelMap {
        moved(mask, by: GridTurn(quarterTurns: k, height: mask.height, width: mask.width))
    }

    /// MONAI `Flip(spatial_axis)`: axis 0 reverses the rows (upside down, numpy `flipud`,
    /// `out[i][j] = a[H − 1 − i][j]`), axis 1 reverses the columns (left-right, numpy
    /// `fliplr`, `out[i][j] = a[i][W − 1 − j]`). In `GridTurn`'s terms axis 1 is the mirror
    /// (`mirrored: true`, no turn) and axis 0 the mirror followed by a half turn
    /// (`quarterTurns: 2, mirrored: true`). The pixel size is unchanged.
    public static func flip(_ image: ImagePlanes, spatialAxis: Int) -> ImagePlanes {
        moved(image, by: flipTurn(spatialAxis: spatialAxis, height: image.height,
                                  width: image.width))
    }

    /// `flip(_:spatialAxis:)` of a mask.
    public static func flip(_ mask: LabelMap, spatialAxis: Int) -> LabelMap {
        moved(mask, by: flipTurn(spatialAxis: spatialAxis, height: mask.height,
                                 width: mask.width))
    }

    /// The pixel size after `rotate90(_:k:)`: x and y swap under an odd number of turns.
    public static func pixelSize(_ size: PixelSize?, rotatedBy k: Int) -> PixelSize? {
        guard let size, k % 2 != 0 else { return size }
        return PixelSize(x: size.y, y: size.x)
    }

    /// The pixel size after resizing a `from` image to `to` pixels: the same field of view
    /// over a different number of pixels, so x scales by from.width / to.width and y likewise.
    public static func pixelSize(_ size: PixelSize?, resizedFrom from: (width: Int, height: Int),
                                 to: (width: Int, height: Int)) -> PixelSize? {
        guard let size else { return nil }
        precondition(to.width > 0 && to.height > 0, "a resize target must be positive")
        return PixelSize(x: size.x * Double(from.width) / Double(to.width),
                         y: size.y * Double(from.height) / Double(to.height))
    }

    /// The grid map of a flip along `spatialAxis` (see `flip(_:spatialAxis:)`).
    static func flipTurn(spatialAxis: Int, height: Int, width: Int) -> GridTurn {
        precondition(spatialAxis == 0 || spatialAxis == 1,
                     "a 2-D flip axis is 0 (rows) or 1 (columns), got \(spatialAxis)")
        // rot90(fliplr(a), 2) == flipud(a).
        return GridTurn(quarterTurns: spatialAxis == 0 ? 2 : 0, mirrored: true, height: height,
                        width: width)
    }

    static func moved(_ image: ImagePlanes, by turn: GridTurn) -> ImagePlanes {
        ImagePlanes(channels: image.channels, width: turn.width, height: turn.height,
                    values: turn.apply(image.values))
    }

    static func moved(_ mask: LabelMap, by turn: GridTurn) -> LabelMap {
        LabelMap(width: turn.width, height: turn.height, values: turn.apply(mask.values))
    }
}
