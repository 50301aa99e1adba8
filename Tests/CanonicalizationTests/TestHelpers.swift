import Canonicalization
import Equivariance
import TensorCore
import XCTest

/// A small canonicalizer for fast tests: scorer input `size` × `size`, 4-6-4 fields.
func smallCanonicalizer(group: Group, size: Int = 32, cropRatio: Double = 1,
                        normalization: IntensityNormalization = .minMax,
                        seed: UInt64 = 7) throws -> DiscreteCanonicalizer {
    let configuration = CanonicalizerConfiguration(
        group: group,
        preprocessing: ScorerPreprocessing(cropRatio: cropRatio, size: size,
                                           normalization: normalization),
        network: ScoringNetworkConfiguration(fields: [4, 6, 4], poolingSteps: 2, seed: seed))
    let canonicalizer = try DiscreteCanonicalizer(configuration: configuration)
    canonicalizer.eval()
    return canonicalizer
}

/// Seeded test images (1, C, H, W) with an orientation: noise plus a bright off-centre blob
/// and a ramp, so that no two poses look alike.
func orientedImage(height: Int, width: Int, channels: Int = 1,
                   generator: inout SeededGenerator) -> Tensor {
    let blobRow = Double(height) * (0.2 + 0.3 * generator.nextDouble())
    let blobCol = Double(width) * (0.55 + 0.3 * generator.nextDouble())
    let slope = 0.5 + generator.nextDouble()
    var values = [Float](repeating: 0, count: channels * height * width)
    for c in 0..<channels {
        for i in 0..<height {
            for j in 0..<width {
                let d2 = (Double(i) - blobRow) * (Double(i) - blobRow)
                    + (Double(j) - blobCol) * (Double(j) - blobCol)
                let blob = 2 * exp(-d2 / Double(2 * height))
                let ramp = slope * Double(i) / Double(height)
                values[(c * height + i) * width + j] =
                    Float(blob + ramp) + 0.3 * generator.nextGaussian()
            }
        }
    }
    return Tensor(shape: [1, channels, height, width], storage: values)
}

/// numpy `rot90(a, k)` on the last two axes of (…, H, W), written independently of the
/// library: one quarter turn maps out[i][j] = in[j][W − 1 − i].
func numpyRot90(_ tensor: Tensor, times k: Int) -> Tensor {
    var result = tensor
    for _ in 0..<(((k % 4) + 4) % 4) {
        let h = result.shape[result.rank - 2], w = result.shape[result.rank - 1]
        let planes = result.count / (h * w)
        var shape = result.shape
        shape[shape.count - 2] = w
        shape[shape.count - 1] = h
        var out = [Float](repeating: 0, count: result.count)
        for p in 0..<planes {
            for i in 0..<w {
                for j in 0..<h {
                    out[p * h * w + i * h + j] = result.storage[p * h * w + j * w + (w - 1 - i)]
                }
            }
        }
        result = Tensor(shape: shape, storage: out)
    }
    return result
}

/// numpy `flip(a, axis=-1)`: out[i][j] = in[i][W − 1 − j].
func numpyFlipW(_ tensor: Tensor) -> Tensor {
    let h = tensor.shape[tensor.rank - 2], w = tensor.shape[tensor.rank - 1]
    return Tensor(shape: tensor.shape) { p in
        let plane = p / (h * w), i = (p % (h * w)) / w, j = p % w
        return tensor.storage[plane * h * w + i * w + (w - 1 - j)]
    }
}

/// The pose estimate whose best score is at `element` (one-hot scores).
func forcedPose(_ element: GroupElement, of group: Group) -> PoseEstimate {
    var scores = [Float](repeating: 0, count: group.order)
    scores[group.index(of: element)] = 5
    return PoseEstimate(group: group, scores: scores)
}

/// Best minus second-best score.
func margin(_ pose: PoseEstimate) -> Float {
    let sorted = pose.scores.sorted(by: >)
    return sorted[0] - sorted[1]
}
