import ImageCodecs
import TensorCore

/// A float image in planar layout, `(C, H, W)` row-major: the form scans take between decoding
/// and batching, so that resizing, normalising and augmenting work on one plain array.
public struct ImagePlanes: Sendable, Equatable {
    public var channels: Int
    public var width: Int
    public var height: Int
    /// `(C, H, W)`; sample (c, y, x) at `(c · height + y) · width + x`.
    public var values: [Float]

    public init(channels: Int, width: Int, height: Int, values: [Float]) {
        precondition(values.count == channels * width * height,
                     "ImagePlanes \(channels)x\(height)x\(width) needs "
                     + "\(channels * width * height) values, got \(values.count)")
        self.channels = channels
        self.width = width
        self.height = height
        self.values = values
    }

    /// The scan's samples as Float planes with `channels` channels (1 or 3).
    ///
    /// Colour to gray uses Rec. 601 luma (0.299 R + 0.587 G + 0.114 B); gray to colour repeats
    /// the plane; alpha is dropped; palette scans are looked up (16-bit palette entries scaled to
    /// 8 bits). CMYK and other colour models are refused. This is the mechanism only: which of
    /// these conversions a model accepts is `InputSpec.check(_:file:expectedBy:)`'s decision.
    public init(scan: Scan, channels: Int, file: String) throws {
        precondition(channels == 1 || channels == 3, "ImagePlanes supports 1 or 3 channels")
        let pixels = scan.width * scan.height
        var source = Self.floats(scan.samples)
        var sourceChannels = scan.channels
        switch scan.metadata.colorModel {
        case .palette:
            guard let palette = scan.metadata.palette, scan.channels == 1 else {
                throw DataError(.unsupportedScan, file: file, "palette scan without a palette")
            }
            let entries = palette.count / 3
            var rgb = [Float](repeating: 0, count: pixels * 3)
            for i in 0..<pixels {
                let index = min(max(Int(source[i]), 0), max(entries - 1, 0))
                for c in 0..<3 { rgb[i * 3 + c] = Float(palette[index * 3 + c]) / 257 }
            }
            source = rgb
            sourceChannels = 3
        case .cmyk, .other:
            if scan.channels != 1 && scan.channels != 3 {
                throw DataError(.unsupportedScan, file: file,
                                "cannot turn a \(scan.metadata.colorModel.rawValue) scan with "
                                + "\(scan.channels) channels into \(channels)-channel input")
            }
        default:
            break
        }
        // Colour channels present in the source (alpha excluded).
        let colour = sourceChannels >= 3 ? 3 : 1
        var planes = [Float](repeating: 0, count: channels * pixels)
        for i in 0..<pixels {
            let base = i * sourceChannels
            if colour == 3 && channels == 1 {
                planes[i] = 0.299 * source[base] + 0.587 * source[base + 1]
                    + 0.114 * source[base + 2]
            } else if colour == 3 {
                for c in 0..<3 { planes[c * pixels + i] = source[base + c] }
            } else {
                for c in 0..<channels { planes[c * pixels + i] = source[base] }
            }
        }
        self.init(channels: channels, width: scan.width, height: scan.height, values: planes)
    }

    static func floats(_ samples: Samples) -> [Float] {
        switch samples {
        case .uint8(let a): return a.map { Float($0) }
        case .int8(let a): return a.map { Float($0) }
        case .uint16(let a): return a.map { Float($0) }
        case .int16(let a): return a.map { Float($0) }
        case .uint32(let a): return a.map { Float($0) }
        case .int32(let a): return a.map { Float($0) }
        case .float32(let a): return a
        case .float64(let a): return a.map { Float($0) }
        }
    }

    /// Bilinear resize with pixel centres aligned (`align_corners = false`, OpenCV and PyTorch
    /// convention); edge samples are repeated outside the image.
    public func resizedBilinear(width newWidth: Int, height newHeight: Int) -> ImagePlanes {
        if newWidth == width && newHeight == height { return self }
        let sx = Double(width) / Double(newWidth)
        let sy = Double(height) / Double(newHeight)
        var xs: [(Int, Int, Float)] = []
        for x in 0..<newWidth {
            let source = max(0, (Double(x) + 0.5) * sx - 0.5)
            let x0 = min(Int(source), width - 1)
            xs.append((x0, min(x0 + 1, width - 1), Float(source - Double(x0))))
        }
        var out = [Float](repeating: 0, count: channels * newWidth * newHeight)
        for c in 0..<channels {
            let plane = c * width * height
            for y in 0..<newHeight {
                let source = max(0, (Double(y) + 0.5) * sy - 0.5)
                let y0 = min(Int(source), height - 1)
                let y1 = min(y0 + 1, height - 1)
                let fy = Float(source - Double(y0))
                for x in 0..<newWidth {
                    let (x0, x1, fx) = xs[x]
                    let top = values[plane + y0 * width + x0] * (1 - fx)
                        + values[plane + y0 * width + x1] * fx
                    let bottom = values[plane + y1 * width + x0] * (1 - fx)
                        + values[plane + y1 * width + x1] * fx
                    out[(c * newHeight + y) * newWidth + x] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return ImagePlanes(channels: channels, width: newWidth, height: newHeight, values: out)
    }

    /// A smaller copy by averaging (binning): source pixel (x, y) goes to output pixel
    /// (⌊x · newWidth / width⌋, ⌊y · newHeight / height⌋), and each output pixel is the mean of
    /// the source pixels it gets, so every source pixel counts once and fine detail does not
    /// alias as it does when bilinear sampling skips pixels. For shrinking only (each side at
    /// most the current one, at least 1).
    public func resizedByAveraging(width newWidth: Int, height newHeight: Int) -> ImagePlanes {
        precondition(newWidth >= 1 && newWidth <= width && newHeight >= 1 && newHeight <= height,
                     "averaging shrinks \(width)x\(height), got \(newWidth)x\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        let xs = (0..<width).map { $0 * newWidth / width }
        let ys = (0..<height).map { $0 * newHeight / height }
        var sums = [Double](repeating: 0, count: channels * newWidth * newHeight)
        var counts = [Double](repeating: 0, count: newWidth * newHeight)
        for y in 0..<height {
            for x in 0..<width { counts[ys[y] * newWidth + xs[x]] += 1 }
        }
        for c in 0..<channels {
            for y in 0..<height {
                let row = (c * newHeight + ys[y]) * newWidth
                let source = (c * height + y) * width
                for x in 0..<width { sums[row + xs[x]] += Double(values[source + x]) }
            }
        }
        let pixels = newWidth * newHeight
        let out = sums.enumerated().map { Float($0.element / counts[$0.offset % pixels]) }
        return ImagePlanes(channels: channels, width: newWidth, height: newHeight, values: out)
    }

    /// Intensities mapped as `normalization` says, over all channels of this image.
    public func normalized(_ normalization: Normalization) -> ImagePlanes {
        var result = self
        switch normalization {
        case .none:
            break
        case .minMax:
            result.values = IntensityMapping.minMax(values)
        case .zScore:
            result.values = IntensityMapping.zScore(values)
        case let .percentile(lower, upper):
            result.values = IntensityMapping.percentileWindow(values, lower: lower, upper: upper,
                                                              precision: Double.self)
        case let .window(low, high):
            result.values = IntensityMapping.window(values, low: Float(low), high: Float(high))
        }
        return result
    }

    /// The image as a one-image batch tensor `(1, C, H, W)`.
    public var tensor: Tensor {
        Tensor(shape: [1, channels, height, width], storage: values)
    }
}

/// A label map: one class index per pixel, row-major.
public struct LabelMap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Int32]

    public init(width: Int, height: Int, values: [Int32]) {
        precondition(values.count == width * height,
                     "LabelMap \(width)x\(height) needs \(width * height) values, got "
                     + "\(values.count)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// Class indices from a label scan's first channel: pixel value v becomes the index of the
    /// label whose `values` contain v; any other value is an error naming the file.
    public init(scan: Scan, labels: [LabelClass], file: String) throws {
        guard scan.channels == 1 || scan.metadata.colorModel == .grayAlpha else {
            throw DataError(.mismatch, file: file, "a label map must be single-channel, this "
                            + "scan has \(scan.channels) channels")
        }
        var lookup: [Int: Int32] = [:]
        for (index, label) in labels.enumerated() {
            for value in label.values { lookup[value] = Int32(index) }
        }
        let raw = ImagePlanes.floats(scan.samples)
        var out = [Int32](repeating: 0, count: scan.width * scan.height)
        for i in 0..<out.count {
            let value = Int(raw[i * scan.channels])
            guard let index = lookup[value] else {
                let known = labels.flatMap(\.values).sorted().map(String.init)
                throw DataError(.unknownLabel, file: file,
                                "pixel value \(value) at (\(i % scan.width), \(i / scan.width)) "
                                + "is not one of the configured label values "
                                + known.joined(separator: ", "))
            }
            out[i] = index
        }
        self.init(width: scan.width, height: scan.height, values: out)
    }

    /// Nearest-neighbour resize (pixel centres aligned), so no new label values appear.
    public func resizedNearest(width newWidth: Int, height newHeight: Int) -> LabelMap {
        if newWidth == width && newHeight == height { return self }
        let xs = (0..<newWidth).map { min(width - 1, Int((Double($0) + 0.5)
                                                         * Double(width) / Double(newWidth))) }
        var out = [Int32](repeating: 0, count: newWidth * newHeight)
        for y in 0..<newHeight {
            let sy = min(height - 1, Int((Double(y) + 0.5) * Double(height) / Double(newHeight)))
            for x in 0..<newWidth { out[y * newWidth + x] = values[sy * width + xs[x]] }
        }
        return LabelMap(width: newWidth, height: newHeight, values: out)
    }
}
