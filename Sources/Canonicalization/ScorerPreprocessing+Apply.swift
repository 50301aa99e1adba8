import Foundation
import TensorCore

extension ScorerPreprocessing {
    /// The scorer input of a batch: (N, C, H, W) → (N, C, size, size), every image cropped,
    /// resized and normalised on its own.
    public func apply(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4,
                     "scorer preprocessing takes (N, C, H, W), got \(images.shape)")
        let (batch, channels) = (images.shape[0], images.shape[1])
        let cropped = Self.centreCrop(images, ratio: cropRatio)
        // Every plane of every image resized alike: (N·C) planes → (N, C, S, S).
        var result = Self.resized(cropped.storage, channels: batch * channels,
                                  height: cropped.shape[2], width: cropped.shape[3],
                                  toHeight: size, toWidth: size)
        let imageSize = channels * size * size
        for n in 0..<batch {
            let range = (n * imageSize)..<((n + 1) * imageSize)
            result.replaceSubrange(range, with: normalize(Array(result[range])))
        }
        return Tensor(shape: [batch, channels, size, size], storage: result)
    }

    /// View `ratio` (a crop ratio of `views`) of scorer inputs (N, C, size, size): the centre
    /// crop of `centreCrop` resized back to size × size with the antialiased bilinear filter,
    /// without a second intensity mapping; ratio 1 is the input itself.
    public func view(_ input: Tensor, ratio: Double) -> Tensor {
        precondition(input.rank == 4 && input.shape[2] == size && input.shape[3] == size,
                     "views are cut from scorer inputs (N, C, \(size), \(size)), got "
                     + "\(input.shape)")
        let cropped = Self.centreCrop(input, ratio: ratio)
        guard cropped.shape != input.shape else { return input }
        let (batch, channels) = (input.shape[0], input.shape[1])
        return Tensor(shape: [batch, channels, size, size],
                      storage: Self.resized(cropped.storage, channels: batch * channels,
                                            height: cropped.shape[2], width: cropped.shape[3],
                                            toHeight: size, toWidth: size))
    }

    /// `planes` (C planes of height × width, one after another) resized to
    /// `newHeight` × `newWidth` with the antialiased bilinear filter: the resize of `apply`, and
    /// of callers that prepare scorer inputs apart from it (validation and evaluation data).
    public static func resized(_ planes: [Float], channels: Int, height: Int, width: Int,
                               toHeight newHeight: Int, toWidth newWidth: Int) -> [Float] {
        precondition(planes.count == channels * height * width,
                     "\(planes.count) samples for \(channels) planes of \(height) × \(width)")
        let rows = resizeWeights(from: height, to: newHeight)
        let columns = resizeWeights(from: width, to: newWidth)
        var result: [Float] = []
        result.reserveCapacity(channels * newHeight * newWidth)
        for c in 0..<channels {
            let plane = Array(planes[(c * height * width)..<((c + 1) * height * width)])
            result += resize(plane, height: height, width: width, rows: rows, columns: columns)
        }
        return result
    }

    /// The intensity mapping of one image's samples (all channels together).
    public func normalize(_ values: [Float]) -> [Float] {
        guard !values.isEmpty else { return values }
        switch normalization {
        case .none:
            return values
        case .minMax:
            return IntensityMapping.minMax(values)
        case .zScore:
            return IntensityMapping.zScore(values)
        case let .percentile(lower, upper):
            return IntensityMapping.percentileWindow(values, lower: lower, upper: upper,
                                                     precision: Float.self)
        }
    }

    /// The centre (round(H·ratio) ± 1) × (round(W·ratio) ± 1) box of every plane, with margins
    /// equal on both sides so that the crop commutes with quarter turns and mirrors.
    static func centreCrop(_ images: Tensor, ratio: Double) -> Tensor {
        let height = images.shape[2], width = images.shape[3]
        let marginRows = Int((Double(height) * (1 - ratio) / 2).rounded(.down))
        let marginColumns = Int((Double(width) * (1 - ratio) / 2).rounded(.down))
        guard marginRows > 0 || marginColumns > 0 else { return images }
        let rows = images.slice(axis: 2, range: marginRows..<(height - marginRows))
        return rows.slice(axis: 3, range: marginColumns..<(width - marginColumns))
    }

    /// Resampling weights from `inputExtent` to `outputExtent` samples: a triangle (bilinear)
    /// filter with pixel centres aligned, widened by the reduction factor when shrinking
    /// (antialiasing, like Pillow's bilinear resize), edge samples repeated. The weights of
    /// output o and of output (S − 1 − o) are mirror images, computed once, so the resize
    /// commutes with mirrors exactly.
    static func resizeWeights(from inputExtent: Int, to outputExtent: Int)
        -> [(start: Int, weights: [Float])] {
        let scale = Double(inputExtent) / Double(outputExtent)
        let support = max(scale, 1)
        var table = [(start: Int, weights: [Float])](repeating: (0, []), count: outputExtent)
        for o in 0..<((outputExtent + 1) / 2) {
            let centre = (Double(o) + 0.5) * scale - 0.5
            let first = Int((centre - support).rounded(.up))
            let last = Int((centre + support).rounded(.down))
            var raw: [Double] = []
            for i in first...last { raw.append(max(0, 1 - abs(Double(i) - centre) / support)) }
            let total = raw.reduce(0, +)
            var weights = [Float](repeating: 0, count: inputExtent)
            for (k, w) in raw.enumerated() {
                let index = min(max(first + k, 0), inputExtent - 1)
                weights[index] += Float(w / total)
            }
            let nonZero = weights.indices.filter { weights[$0] != 0 }
            let lo = nonZero.first ?? 0, hi = nonZero.last ?? 0
            table[o] = (lo, Array(weights[lo...hi]))
            let mirrored = outputExtent - 1 - o
            table[mirrored] = (inputExtent - 1 - hi, Array(weights[lo...hi].reversed()))
        }
        return table
    }

    /// Separable resize of one plane: rows, then columns.
    static func resize(_ plane: [Float], height: Int, width: Int,
                       rows: [(start: Int, weights: [Float])],
                       columns: [(start: Int, weights: [Float])]) -> [Float] {
        let outHeight = rows.count, outWidth = columns.count
        var vertical = [Float](repeating: 0, count: outHeight * width)  // (S, W)
        for (o, row) in rows.enumerated() {
            for (k, w) in row.weights.enumerated() {
                let source = (row.start + k) * width
                for x in 0..<width { vertical[o * width + x] += w * plane[source + x] }
            }
        }
        var result = [Float](repeating: 0, count: outHeight * outWidth)  // (S, S)
        for y in 0..<outHeight {
            for (o, column) in columns.enumerated() {
                var sum: Float = 0
                for (k, w) in column.weights.enumerated() {
                    sum += w * vertical[y * width + column.start + k]
                }
                result[y * outWidth + o] = sum
            }
        }
        return result
    }
}
