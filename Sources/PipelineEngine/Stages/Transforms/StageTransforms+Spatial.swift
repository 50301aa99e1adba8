import ModelRuntime

extension StageTransforms {
    /// MONAI `CenterSpatialCrop(roi_size)` on each axis: with image extent n and roi r,
    /// the crop starts at `max(n / 2 − r / 2, 0)` (integer halves, rounded down: MONAI's centre
    /// `n // 2` minus `r // 2`) and keeps `min(r, n)` pixels, so an axis smaller than the roi is
    /// kept whole. That start is (n − r) / 2 rounded down except where n is even and r odd:
    /// there it is one more (n = 4, r = 1 keeps pixel 2, as MONAI does).
    /// The pixel size is unchanged.
    public static func centerSpatialCrop(_ image: ImagePlanes, width: Int,
                                         height: Int) -> ImagePlanes {
        let (x, w) = centerCrop(extent: image.width, roi: width)
        let (y, h) = centerCrop(extent: image.height, roi: height)
        return ImagePlanes(channels: image.channels, width: w, height: h,
                           values: shifted(image.values, planes: image.channels,
                                           width: image.width, height: image.height,
                                           toWidth: w, toHeight: h, dx: -x, dy: -y, fill: 0))
    }

    /// `centerSpatialCrop(_:width:height:)` of a mask, same window.
    public static func centerSpatialCrop(_ mask: LabelMap, width: Int, height: Int) -> LabelMap {
        let (x, w) = centerCrop(extent: mask.width, roi: width)
        let (y, h) = centerCrop(extent: mask.height, roi: height)
        return LabelMap(width: w, height: h,
                        values: shifted(mask.values, planes: 1, width: mask.width,
                                        height: mask.height, toWidth: w, toHeight: h,
                                        dx: -x, dy: -y, fill: 0))
    }

    /// MONAI `SpatialPad(spatial_size, method="symmetric", mode="constant")` on each axis: an
    /// axis of extent n below the target t gets `(t − n) / 2` (rounded down) zeros before and
    /// the rest after; an axis already at or above t is kept. Zeros are label 0 in masks. The
    /// pixel size is unchanged.
    public static func spatialPad(_ image: ImagePlanes, width: Int, height: Int) -> ImagePlanes {
        let (w, h) = (max(width, image.width), max(height, image.height))
        return ImagePlanes(channels: image.channels, width: w, height: h,
                           values: shifted(image.values, planes: image.channels,
                                           width: image.width, height: image.height,
                                           toWidth: w, toHeight: h,
                                           dx: padBefore(extent: image.width, target: width),
                                           dy: padBefore(extent: image.height, target: height),
                                           fill: 0))
    }

    /// `spatialPad(_:width:height:)` of a mask, padding with label 0.
    public static func spatialPad(_ mask: LabelMap, width: Int, height: Int) -> LabelMap {
        let (w, h) = (max(width, mask.width), max(height, mask.height))
        return LabelMap(width: w, height: h,
                        values: shifted(mask.values, planes: 1, width: mask.width,
                                        height: mask.height, toWidth: w, toHeight: h,
                                        dx: padBefore(extent: mask.width, target: width),
                                        dy: padBefore(extent: mask.height, target: height),
                                        fill: 0))
    }

    /// First kept index and kept extent of MONAI's centre crop of `roi` from `extent`.
    static func centerCrop(extent: Int, roi: Int) -> (start: Int, extent: Int) {
        precondition(roi > 0, "a crop size must be positive, got \(roi)")
        let start = max(extent / 2 - roi / 2, 0)
        return (start, min(start + roi, extent) - start)
    }

    /// Zeros placed before an axis of `extent` padded symmetrically to `target`.
    static func padBefore(extent: Int, target: Int) -> Int {
        precondition(target > 0, "a pad size must be positive, got \(target)")
        return max(target - extent, 0) / 2
    }

    /// `planes` row-major planes of `width` × `height` moved by (`dx`, `dy`) into planes of
    /// `toWidth` × `toHeight`: output (x, y) reads source (x − dx, y − dy), or `fill` where
    /// that is outside the source. A crop is a negative shift into a smaller plane, a pad a
    /// positive one into a larger plane.
    static func shifted<Sample>(_ values: [Sample], planes: Int, width: Int, height: Int,
                                toWidth: Int, toHeight: Int, dx: Int, dy: Int,
                                fill: Sample) -> [Sample] {
        var out = [Sample](repeating: fill, count: planes * toWidth * toHeight)
        // Output columns and rows whose source lies inside the source plane.
        let (x0, x1) = (max(0, dx), min(toWidth, width + dx))
        let (y0, y1) = (max(0, dy), min(toHeight, height + dy))
        guard x0 < x1, y0 < y1 else { return out }
        out.withUnsafeMutableBufferPointer { output in
            values.withUnsafeBufferPointer { source in
                for p in 0..<planes {
                    for y in y0..<y1 {
                        let from = (p * height + y - dy) * width - dx
                        let to = (p * toHeight + y) * toWidth
                        for x in x0..<x1 { output[to + x] = source[from + x] }
                    }
                }
            }
        }
        return out
    }
}
