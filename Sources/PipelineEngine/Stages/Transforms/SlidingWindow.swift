import Foundation
import ModelRuntime
import TensorCore

/// Sliding-window inference of a segmentation model over an image of any size: MONAI
/// `sliding_window_inference(mode="gaussian")` with nnU-Net's Gaussian importance weighting.
///
/// Windows are exactly the model's input size. Along each axis of extent n with window r they
/// start every `max(1, floor(r · (1 − overlap)))` pixels from 0 and the last one is moved back
/// to start at n − r, so no window reaches past the edge (`windowStarts`, MONAI's scan
/// interval). An axis shorter than the window is first padded with zeros symmetrically as
/// `StageTransforms.spatialPad` does (after the caller's normalisation, so zero is whatever the
/// normalised image calls zero), and the result is cropped back to the image.
///
/// Each window's logits become softmax probabilities, which are weighted pixel by pixel with
/// the importance map (`importanceMap`), summed over all windows and divided by the summed
/// weights. Sums are kept in Double, so where every window predicts the same probability for a
/// pixel the blend returns that Float exactly: weights form a partition of unity.
public enum SlidingWindow {
    /// Most windows in one `predict` call.
    public static let maximumBatch = 8
    /// The importance map's σ as a fraction of the window extent per axis (nnU-Net; MONAI's
    /// `sigma_scale` default).
    public static let sigmaScale = 0.125
    /// Floor of the importance map (MONAI's for Gaussian maps), so that window borders, where
    /// the Gaussian is nearly 0, still count where no other window reaches.
    public static let minimumWeight = 1e-3

    /// K softmax probability planes for `image`, at its size.
    ///
    /// - Parameters:
    ///   - image: `(C, H, W)` planes, already normalised as the model expects.
    ///   - window: the model's input width and height.
    ///   - overlap: fraction of a window shared with the next one along each axis, in [0, 1).
    ///   - labels: K, the number of output channels of the model.
    ///   - predict: logits `(N, K, h, w)` for a batch of windows `(N, C, h, w)`, N at most
    ///     `maximumBatch`; windows go in row-major order of their top-left corners.
    public static func infer(_ image: ImagePlanes, window: (width: Int, height: Int),
                             overlap: Double, labels: Int,
                             predict: (Tensor) throws -> Tensor) rethrows -> ImagePlanes {
        precondition(window.width > 0 && window.height > 0,
                     "a window must be at least 1×1, got \(window.width)×\(window.height)")
        precondition(overlap >= 0 && overlap < 1, "overlap must lie in [0, 1), got \(overlap)")
        precondition(labels >= 1, "a segmentation model has at least one label, got \(labels)")
        let padded = StageTransforms.spatialPad(image, width: window.width, height: window.height)
        let (channels, pw, ph) = (image.channels, padded.width, padded.height)
        let (ww, wh) = (window.width, window.height)
        let xs = windowStarts(extent: pw, window: ww, overlap: overlap)
        let ys = windowStarts(extent: ph, window: wh, overlap: overlap)
        let origins = ys.flatMap { y in xs.map { x in (x: x, y: y) } }
        let weights = importanceMap(width: ww, height: wh)  // (h, w)
        var sums = [Double](repeating: 0, count: labels * ph * pw)  // (K, PH, PW)
        var weightSums = [Double](repeating: 0, count: ph * pw)  // (PH, PW)
        var first = 0
        while first < origins.count {
            let batch = origins[first..<min(first + maximumBatch, origins.count)]
            // (N, C, h, w)
            var input = [Float](repeating: 0, count: batch.count * channels * wh * ww)
            for (n, origin) in batch.enumerated() {
                for c in 0..<channels {
                    for i in 0..<wh {
                        let from = (c * ph + origin.y + i) * pw + origin.x
                        let to = ((n * channels + c) * wh + i) * ww
                        for j in 0..<ww { input[to + j] = padded.values[from + j] }
                    }
                }
            }
            let logits = try predict(Tensor(shape: [batch.count, channels, wh, ww],
                                            storage: input))
            precondition(logits.shape == [batch.count, labels, wh, ww],
                         "a window batch of \(batch.count) needs logits "
                         + "\([batch.count, labels, wh, ww]), got \(logits.shape)")
            let probabilities = Softmax.forward(logits: logits, axis: 1).storage  // (N, K, h, w)
            for (n, origin) in batch.enumerated() {
                for i in 0..<wh {
                    let row = (origin.y + i) * pw + origin.x
                    for j in 0..<ww { weightSums[row + j] += weights[i * ww + j] }
                    for k in 0..<labels {
                        let to = k * ph * pw + row
                        let from = ((n * labels + k) * wh + i) * ww
                        for j in 0..<ww {
                            sums[to + j] += weights[i * ww + j] * Double(probabilities[from + j])
                        }
                    }
                }
            }
            first += batch.count
        }
        // Crop the padding back off while dividing.
        let left = StageTransforms.padBefore(extent: image.width, target: ww)
        let top = StageTransforms.padBefore(extent: image.height, target: wh)
        let (width, height) = (image.width, image.height)
        var out = [Float](repeating: 0, count: labels * height * width)  // (K, H, W)
        for k in 0..<labels {
            for y in 0..<height {
                let from = (top + y) * pw + left
                for x in 0..<width {
                    out[(k * height + y) * width + x] =
                        Float(sums[k * ph * pw + from + x] / weightSums[from + x])
                }
            }
        }
        return ImagePlanes(channels: labels, width: width, height: height, values: out)
    }

    /// Start offsets of the windows along an axis of `extent` ≥ `window` pixels: 0, s, 2s, …
    /// below extent − window, then extent − window, with s = max(1, floor(window · (1 −
    /// overlap))) computed in Double as MONAI does (`int(roi * (1 - overlap))`).
    public static func windowStarts(extent: Int, window: Int, overlap: Double) -> [Int] {
        precondition(window > 0 && extent >= window,
                     "a window of \(window) does not fit an extent of \(extent)")
        let step = max(1, Int((Double(window) * (1 - overlap)).rounded(.down)))
        return Array(stride(from: 0, to: extent - window, by: step)) + [extent - window]
    }

    /// The importance map of a `width` × `height` window, row-major: the product of one
    /// Gaussian per axis, exp(−(i − c)² / 2σ²) with σ = `sigmaScale` · extent and c = (extent −
    /// 1) / 2 (the exact centre, so the map is symmetric under the window's turns and flips;
    /// nnU-Net puts the peak at index extent / 2), each scaled to peak 1, then raised to at
    /// least `minimumWeight`.
    public static func importanceMap(width: Int, height: Int) -> [Double] {
        let (wx, wy) = (gaussian(width), gaussian(height))
        return (0..<(width * height)).map { max(wy[$0 / width] * wx[$0 % width], minimumWeight) }
    }

    /// One axis of the importance map, peak 1.
    static func gaussian(_ extent: Int) -> [Double] {
        let sigma = sigmaScale * Double(extent)
        let centre = Double(extent - 1) / 2
        let values = (0..<extent).map { i -> Double in
            let d = Double(i) - centre
            return exp(-d * d / (2 * sigma * sigma))
        }
        let peak = values.max() ?? 1
        return values.map { $0 / peak }
    }
}
