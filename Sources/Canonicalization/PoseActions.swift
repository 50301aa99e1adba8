import Equivariance
import Foundation
import TensorCore

/// The action of a pose (a group element) on images, label maps and regular feature maps,
/// as the canonicalizer applies it.
///
/// Elements that map the pixel grid onto itself (every element of C4 and D4, and the even
/// rotations of C8 and D8) are exact permutations through `Group.transformPlanes`; under an odd
/// number of quarter turns H and W swap. An odd element R^r F^m of C8 or D8 is applied as
/// R · (R^(r−1) F^m): the exact part first, then one 45° rotation about the plane centre that
/// samples with edge padding (coordinates clamped to the plane), so that the result keeps the
/// plane's extent (a centre crop of the rotated, edge-extended plane) and no zero corners leak
/// in. Images use bilinear sampling, label maps nearest.
public enum PoseActions {
    /// T_g on every (H, W) plane of `tensor` (rank ≥ 2; the last two axes are H and W).
    public static func transformPlanes(_ tensor: Tensor, by element: GroupElement, of group: Group,
                                       interpolation: PlaneInterpolation = .bilinear) -> Tensor {
        precondition(group.contains(element), "\(element) is not an element of \(group)")
        let quarterTurnsExact = (4 * element.rotation) % group.rotationCount == 0
        if quarterTurnsExact {
            return group.transformPlanes(tensor, by: element, interpolation: interpolation)
        }
        // R^r F^m = R · R^(r−1) F^m, and r − 1 is an exact quarter-turn count.
        let exactPart = GroupElement(mirrored: element.mirrored, rotation: element.rotation - 1)
        let turned = group.transformPlanes(tensor, by: exactPart, interpolation: interpolation)
        return rotateEdgePadded(turned, angle: group.angle(ofRotation: 1),
                                interpolation: interpolation)
    }

    /// T_g on a label map (height × width class indices, row-major); exact on the grid,
    /// nearest sample with edge padding otherwise.
    public static func transformLabels(_ labels: [Int32], height: Int, width: Int,
                                       by element: GroupElement, of group: Group)
        -> (labels: [Int32], height: Int, width: Int) {
        precondition(labels.count == height * width,
                     "a \(height)×\(width) label map needs \(height * width) labels, got "
                     + "\(labels.count)")
        // Class indices up to 2^24 are exact in Float32, and nearest sampling only copies them.
        let planes = Tensor(shape: [height, width], storage: labels.map { Float($0) })
        let moved = transformPlanes(planes, by: element, of: group, interpolation: .nearest)
        return (moved.storage.map { Int32($0) }, moved.shape[0], moved.shape[1])
    }

    /// The action on a regular feature map (N, C, |G|, H, W): `new[g·h] = T_g old[h]`, every
    /// plane moved spatially and the group axis permuted by h ↦ g·h.
    public static func transformRegular(_ featureMap: Tensor, by element: GroupElement,
                                        of group: Group) -> Tensor {
        precondition(featureMap.rank == 5 && featureMap.shape[2] == group.order,
                     "a regular feature map of \(group) is (N, C, \(group.order), H, W), got "
                     + "\(featureMap.shape)")
        return group.permutingGroupAxis(transformPlanes(featureMap, by: element, of: group),
                                        by: element)
    }

    /// Rotates every (H, W) plane counter-clockwise by `angle` radians about its centre
    /// ((H−1)/2, (W−1)/2), keeping the extent; source coordinates outside the plane are clamped
    /// to its edge (edge padding).
    public static func rotateEdgePadded(_ tensor: Tensor, angle: Double,
                                        interpolation: PlaneInterpolation) -> Tensor {
        precondition(tensor.rank >= 2, "rotation needs a tensor of rank ≥ 2, got \(tensor.shape)")
        let height = tensor.shape[tensor.rank - 2], width = tensor.shape[tensor.rank - 1]
        let planeSize = height * width
        let taps = interpolation == .bilinear ? 4 : 1
        var sources = [Int32](repeating: 0, count: planeSize * taps)  // (H·W·taps)
        var weights = [Float](repeating: 0, count: planeSize * taps)  // (H·W·taps)
        let cosine = cos(angle), sine = sin(angle)
        let centreRow = Double(height - 1) / 2, centreCol = Double(width - 1) / 2
        @inline(__always) func flat(_ r: Int, _ c: Int) -> Int32 {
            Int32(min(max(r, 0), height - 1) * width + min(max(c, 0), width - 1))
        }
        for i in 0..<height {
            for j in 0..<width {
                // Screen coordinates with y up: the point that the rotation carries onto (i, j).
                let x = Double(j) - centreCol, y = centreRow - Double(i)
                let sourceX = x * cosine + y * sine, sourceY = -x * sine + y * cosine
                let row = min(max(centreRow - sourceY, 0), Double(height - 1))
                let col = min(max(sourceX + centreCol, 0), Double(width - 1))
                let base = (i * width + j) * taps
                if interpolation == .nearest {
                    sources[base] = flat(Int(row.rounded()), Int(col.rounded()))
                    weights[base] = 1
                    continue
                }
                let r0 = Int(row.rounded(.down)), c0 = Int(col.rounded(.down))
                let fr = row - Double(r0), fc = col - Double(c0)
                sources[base] = flat(r0, c0)
                sources[base + 1] = flat(r0, c0 + 1)
                sources[base + 2] = flat(r0 + 1, c0)
                sources[base + 3] = flat(r0 + 1, c0 + 1)
                weights[base] = Float((1 - fr) * (1 - fc))
                weights[base + 1] = Float((1 - fr) * fc)
                weights[base + 2] = Float(fr * (1 - fc))
                weights[base + 3] = Float(fr * fc)
            }
        }
        var result = [Float](repeating: 0, count: tensor.count)
        tensor.storage.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                for plane in 0..<(tensor.count / planeSize) {
                    let offset = plane * planeSize
                    for p in 0..<planeSize {
                        var sum: Float = 0
                        for t in 0..<taps {
                            let tap = p * taps + t
                            sum += weights[tap] * input[offset + Int(sources[tap])]
                        }
                        output[offset + p] = sum
                    }
                }
            }
        }
        return Tensor(shape: tensor.shape, storage: result)
    }
}
