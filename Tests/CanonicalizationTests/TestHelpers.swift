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

/// The largest |s(g·x)[g·h] − s(x)[h]| over every g and h of `group`: zero (to rounding) for
/// scores that are permuted by the group.
func worstPermutationError(of model: DiscreteCanonicalizer, on x: Tensor, group: Group)
    -> Float {
    let scores = model.scores(x).storage
    var worst: Float = 0
    for g in group.elements {
        let turned = model.scores(group.transformPlanes(x, by: g)).storage
        for h in 0..<group.order {
            let gh = group.composeIndex(group.index(of: g), h)
            worst = max(worst, abs(turned[gh] - scores[h]))
        }
    }
    return worst
}
