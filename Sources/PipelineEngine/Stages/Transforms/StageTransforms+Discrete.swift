import ModelRuntime
import TensorCore

extension StageTransforms {
    /// Softmax over the channel axis of logit planes: for each pixel,
    /// p_k = e^{x_k − m} / Σ_j e^{x_j − m} with m = max_j x_j, so large logits cannot overflow
    /// (TensorCore's `Softmax.forward` along axis 1 of the `(1, C, H, W)` tensor).
    public static func softmax(channels logits: ImagePlanes) -> ImagePlanes {
        var result = logits
        result.values = Softmax.forward(logits: logits.tensor, axis: 1).storage
        return result
    }

    /// MONAI `AsDiscrete(argmax=True)`: each pixel's label is the channel with the largest
    /// probability; of equal largest values the lowest label wins (`Tensor.argmax`). NaN never
    /// wins over a number after it.
    public static func argmax(_ probabilities: ImagePlanes) -> LabelMap {
        precondition(probabilities.channels >= 1, "argmax needs at least one channel")
        let labels = probabilities.tensor.argmax(alongAxis: 1)
        return LabelMap(width: probabilities.width, height: probabilities.height,
                        values: labels.map { Int32($0) })
    }

    /// `AsDiscrete(threshold: t)` over K probability planes with channel 0 the background:
    /// where the foreground probability 1 − p₀ (in Double) is at least `t`, the pixel takes
    /// the most probable foreground label (channels 1..<K, lowest label on ties); elsewhere 0.
    /// With a single channel every pixel is 0.
    public static func threshold(_ probabilities: ImagePlanes, _ t: Double) -> LabelMap {
        precondition(probabilities.channels >= 1, "threshold needs at least one channel")
        let labels = probabilities.channels
        let plane = probabilities.width * probabilities.height
        var out = [Int32](repeating: 0, count: plane)
        probabilities.values.withUnsafeBufferPointer { p in
            for i in 0..<plane where labels > 1 && 1 - Double(p[i]) >= t {
                var best = 1
                for k in 2..<labels where p[k * plane + i] > p[best * plane + i] {
                    best = k
                }
                out[i] = Int32(best)
            }
        }
        return LabelMap(width: probabilities.width, height: probabilities.height, values: out)
    }
}
