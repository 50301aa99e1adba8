import Foundation
import PixelGrid
import TensorCore

/// How an interpolated (non-right-angle) rotation samples the source plane.
public enum PlaneInterpolation: String, Sendable, Codable {
    /// Bilinear: for images, feature maps and filters.
    case bilinear
    /// Nearest sample: for label maps, whose values are class indices.
    case nearest
}

/// The linear map that a group element induces on one (H, W) plane, as a gather table:
/// `out[p] = Σ_t weights[p·taps + t] · in[sources[p·taps + t]]`, where a source of −1 reads 0.
///
/// Right-angle rotations and mirrors are permutations (`taps == 1`, weight 1), so they are exact;
/// other angles rotate about the plane centre ((H−1)/2, (W−1)/2) with bilinear (4 taps) or
/// nearest (1 tap) sampling and zero outside the plane, which is approximate.
public struct PlaneTransform: Sendable {
    /// Extent of the source plane.
    public let inputHeight: Int, inputWidth: Int
    /// Extent of the result (H and W swap under an odd number of quarter turns).
    public let outputHeight: Int, outputWidth: Int
    /// Source samples read per output sample: 1 or 4.
    public let taps: Int
    /// Whether the map is a pixel permutation (exact).
    public let isPermutation: Bool
    /// (outputHeight · outputWidth · taps) flat source positions, −1 = outside.
    let sources: [Int32]
    /// (outputHeight · outputWidth · taps) weights.
    let weights: [Float]

    /// The transform of `element` of `group` on planes of `height` × `width`.
    ///
    /// Rotations that are not multiples of 90° need square planes (otherwise the rotated plane
    /// would not fit its own grid).
    public init(group: Group, element: GroupElement, height: Int, width: Int,
                interpolation: PlaneInterpolation = .bilinear) {
        precondition(group.contains(element), "\(element) is not an element of \(group)")
        precondition(height > 0 && width > 0, "plane extent \(height)×\(width) must be positive")
        inputHeight = height
        inputWidth = width
        let quarterTurns: Int? = (4 * element.rotation) % group.rotationCount == 0
            ? (4 * element.rotation) / group.rotationCount : nil
        // Where a pixel (row, col) of the mirrored plane comes from in the original plane.
        let mirrored = element.mirrored
        @inline(__always) func unmirror(_ row: Int, _ col: Int) -> Int32 {
            Int32(row * width + (mirrored ? width - 1 - col : col))
        }
        if let quarterTurns {
            // Right angles are pixel permutations: the one grid map of `GridTurn`.
            let turn = GridTurn(quarterTurns: quarterTurns, mirrored: element.mirrored,
                                height: height, width: width)
            outputHeight = turn.height
            outputWidth = turn.width
            taps = 1
            isPermutation = true
            self.sources = (0..<(turn.height * turn.width)).map { Int32(turn.sourceIndex($0)) }
            self.weights = [Float](repeating: 1, count: sources.count)
            return
        }
        precondition(height == width,
                     "rotating a \(height)×\(width) plane by \(element) of \(group) needs a "
                     + "square plane (the rotation is not a multiple of 90°)")
        outputHeight = height
        outputWidth = width
        isPermutation = false
        taps = interpolation == .bilinear ? 4 : 1
        let theta = group.angle(ofRotation: element.rotation)
        let cosine = cos(theta), sine = sin(theta)
        let centre = Double(height - 1) / 2
        var sources = [Int32](repeating: -1, count: height * width * taps)
        var weights = [Float](repeating: 0, count: height * width * taps)
        for i in 0..<height {
            for j in 0..<width {
                // Screen coordinates with y up; sample the source at the point that the
                // counter-clockwise rotation by θ carries onto (i, j).
                let x = Double(j) - centre, y = centre - Double(i)
                let sourceX = x * cosine + y * sine
                let sourceY = -x * sine + y * cosine
                let sourceRow = centre - sourceY, sourceCol = sourceX + centre
                let base = (i * width + j) * taps
                if interpolation == .nearest {
                    let r = Int(sourceRow.rounded()), c = Int(sourceCol.rounded())
                    if r >= 0 && r < height && c >= 0 && c < width {
                        sources[base] = unmirror(r, c)
                        weights[base] = 1
                    }
                    continue
                }
                let r0 = Int(sourceRow.rounded(.down)), c0 = Int(sourceCol.rounded(.down))
                let fr = sourceRow - Double(r0), fc = sourceCol - Double(c0)
                let corners = [(r0, c0, (1 - fr) * (1 - fc)), (r0, c0 + 1, (1 - fr) * fc),
                               (r0 + 1, c0, fr * (1 - fc)), (r0 + 1, c0 + 1, fr * fc)]
                for (t, (r, c, w)) in corners.enumerated()
                where r >= 0 && r < height && c >= 0 && c < width {
                    sources[base + t] = unmirror(r, c)
                    weights[base + t] = Float(w)
                }
            }
        }
        self.sources = sources
        self.weights = weights
    }

    /// This transform preceded by a mask that zeroes every source sample farther than `radius`
    /// from the plane centre. Interpolated groups rotate filters inside the inscribed disc so
    /// that no pose loses the corners that another pose keeps.
    public func maskedToDisc(radius: Double) -> PlaneTransform {
        let cy = Double(inputHeight - 1) / 2, cx = Double(inputWidth - 1) / 2
        var weights = self.weights
        for (t, source) in sources.enumerated() where source >= 0 {
            let y = Double(Int(source) / inputWidth) - cy, x = Double(Int(source) % inputWidth) - cx
            if (x * x + y * y).squareRoot() > radius + 1e-9 { weights[t] = 0 }
        }
        return PlaneTransform(copying: self, weights: weights)
    }

    private init(copying other: PlaneTransform, weights: [Float]) {
        inputHeight = other.inputHeight
        inputWidth = other.inputWidth
        outputHeight = other.outputHeight
        outputWidth = other.outputWidth
        taps = other.taps
        isPermutation = false  // the weighted path honours the zeroed weights
        sources = other.sources
        self.weights = weights
    }

    /// Writes the transformed plane: `output[p] = Σ_t w · input[source]`.
    /// - Parameters:
    ///   - input: (inputHeight · inputWidth) samples.
    ///   - output: (outputHeight · outputWidth) samples, overwritten.
    public func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let count = outputHeight * outputWidth
        sources.withUnsafeBufferPointer { src in
            if isPermutation {
                for p in 0..<count { output[p] = input[Int(src[p])] }
                return
            }
            weights.withUnsafeBufferPointer { wts in
                for p in 0..<count {
                    var sum: Float = 0
                    for t in 0..<taps {
                        let s = Int(src[p * taps + t])
                        if s >= 0 { sum += wts[p * taps + t] * input[s] }
                    }
                    output[p] = sum
                }
            }
        }
    }

    /// The transpose of `apply`, accumulated: `inputGradient[source] += w · outputGradient[p]`.
    /// This is the backward pass of `apply`.
    /// - Parameters:
    ///   - outputGradient: (outputHeight · outputWidth) samples.
    ///   - inputGradient: (inputHeight · inputWidth) samples, added into.
    public func applyTransposed(_ outputGradient: UnsafePointer<Float>,
                                addingInto inputGradient: UnsafeMutablePointer<Float>) {
        let count = outputHeight * outputWidth
        sources.withUnsafeBufferPointer { src in
            weights.withUnsafeBufferPointer { wts in
                for p in 0..<count {
                    for t in 0..<taps {
                        let s = Int(src[p * taps + t])
                        if s >= 0 { inputGradient[s] += wts[p * taps + t] * outputGradient[p] }
                    }
                }
            }
        }
    }
}

extension Group {
    /// T_g on every (H, W) plane of `tensor` (rank ≥ 2, the last two axes are H and W):
    /// images (N, C, H, W), single planes (H, W), or label maps (N, H, W) with `.nearest`.
    ///
    /// Exact for right-angle rotations and mirrors; interpolated otherwise (see
    /// `PlaneTransform`). Under an odd number of quarter turns H and W swap.
    public func transformPlanes(_ tensor: Tensor, by element: GroupElement,
                                interpolation: PlaneInterpolation = .bilinear) -> Tensor {
        precondition(tensor.rank >= 2,
                     "transformPlanes needs a tensor of rank ≥ 2, got \(tensor.shape)")
        let height = tensor.shape[tensor.rank - 2], width = tensor.shape[tensor.rank - 1]
        let transform = PlaneTransform(group: self, element: element, height: height,
                                       width: width, interpolation: interpolation)
        let planes = tensor.count / (height * width)
        var shape = tensor.shape
        shape[shape.count - 2] = transform.outputHeight
        shape[shape.count - 1] = transform.outputWidth
        var result = [Float](repeating: 0, count: tensor.count)
        let planeSize = height * width
        tensor.storage.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                guard let inBase = input.baseAddress, let outBase = output.baseAddress else {
                    return
                }
                for plane in 0..<planes {
                    transform.apply(inBase + plane * planeSize, into: outBase + plane * planeSize)
                }
            }
        }
        return Tensor(shape: shape, storage: result)
    }

    /// The action of `element` on a regular feature map (N, C, |G|, H, W):
    /// `new[g·h] = T_g old[h]` – every plane is transformed spatially and the group axis is
    /// permuted. For C4 and g = R^k this rotates every plane by k quarter turns and rolls the
    /// group axis by +k.
    public func transformRegular(_ featureMap: Tensor, by element: GroupElement,
                                 interpolation: PlaneInterpolation = .bilinear) -> Tensor {
        permutingGroupAxis(transformPlanes(featureMap, by: element, interpolation: interpolation),
                           by: element)
    }

    /// The group-axis half of the regular action: moves the pose h of a feature map
    /// (N, C, |G|, H, W) to g·h (`new[g·h] = old[h]`), leaving every plane as it is. Callers
    /// that move planes their own way (edge-padded rotations) pair it with their plane action.
    public func permutingGroupAxis(_ featureMap: Tensor, by element: GroupElement) -> Tensor {
        precondition(featureMap.rank == 5 && featureMap.shape[2] == order,
                     "a regular feature map of \(self) is (N, C, \(order), H, W), got "
                     + "\(featureMap.shape)")
        let g = index(of: element)
        let permutation = (0..<order).map { composeIndex(g, $0) }  // h ↦ g·h
        let outer = featureMap.shape[0] * featureMap.shape[1]
        let planeSize = featureMap.shape[3] * featureMap.shape[4]
        var result = [Float](repeating: 0, count: featureMap.count)  // (N, C, G, H, W)
        featureMap.storage.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                for o in 0..<outer {
                    for h in 0..<order {
                        let from = (o * order + h) * planeSize
                        let to = (o * order + permutation[h]) * planeSize
                        for p in 0..<planeSize { output[to + p] = input[from + p] }
                    }
                }
            }
        }
        return Tensor(shape: featureMap.shape, storage: result)
    }

    /// The action on a label map of `height` × `width` class indices (row-major): exact for
    /// right-angle rotations and mirrors, nearest-sample otherwise (outside reads `fill`).
    public func transformLabels(_ labels: [Int32], height: Int, width: Int,
                                by element: GroupElement,
                                fill: Int32 = 0) -> (labels: [Int32], height: Int, width: Int) {
        precondition(labels.count == height * width,
                     "label map of \(height)×\(width) needs \(height * width) labels, got "
                     + "\(labels.count)")
        let transform = PlaneTransform(group: self, element: element, height: height,
                                       width: width, interpolation: .nearest)
        var result = [Int32](repeating: fill, count: labels.count)
        for p in 0..<result.count {
            let s = Int(transform.sources[p])
            if s >= 0 { result[p] = labels[s] }
        }
        return (result, transform.outputHeight, transform.outputWidth)
    }
}
