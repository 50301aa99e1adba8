import Foundation
import TensorCore

/// How a rotated plane samples between pixels.
public enum RotationInterpolation: String, Codable, Equatable, Sendable, CaseIterable {
    /// The nearest sample: for masks and label maps (no new labels appear).
    case nearest
    /// Bilinear, 2 × 2 samples.
    case bilinear
    /// Bicubic convolution (Keys 1981, a = −0.5), 4 × 4 samples: sharper than bilinear, exact
    /// for quadratics, may overshoot at edges.
    case bicubic
}

/// What a rotated plane reads where the rotation brings in points outside the source plane.
public enum EdgeMode: String, Codable, Equatable, Sendable, CaseIterable {
    /// Zero outside.
    case zero
    /// The nearest edge sample (…a a | a b c).
    case replicate
    /// The plane mirrored about its edge samples (…c b | a b c), no edge sample repeated.
    case reflect
}

/// An arbitrary-angle rotation of (H, W) planes about their centre ((H − 1)/2, (W − 1)/2),
/// keeping the extent, as a gather table: out[p] = Σ_t w[p, t] · in[source[p, t]].
///
/// The angle is counter-clockwise as seen on screen (x right, y up): output pixel (i, j) samples
/// the source at the point that the rotation carries onto (i, j). Rotations by multiples of 90°
/// of square planes land on pixel centres and equal the exact quarter turns (up to rounding of
/// cos and sin, 1e-16).
public struct PlaneRotation: Sendable {
    /// Extent of the planes.
    public let height: Int, width: Int
    /// Samples read per output pixel: 1, 4 or 16.
    public let taps: Int
    /// (H·W·taps) flat source positions, −1 = nothing (zero edges).
    let sources: [Int32]
    /// (H·W·taps) weights.
    let weights: [Float]

    /// The rotation by `angle` radians of planes of `height` × `width`.
    public init(angle: Double, height: Int, width: Int,
                interpolation: RotationInterpolation = .bilinear, edges: EdgeMode = .zero) {
        precondition(height > 0 && width > 0, "plane extent \(height)×\(width) must be positive")
        self.height = height
        self.width = width
        let support: [Int]
        switch interpolation {
        case .nearest: support = [0]
        case .bilinear: support = [0, 1]
        case .bicubic: support = [-1, 0, 1, 2]
        }
        taps = support.count * support.count
        var sources = [Int32](repeating: -1, count: height * width * taps)
        var weights = [Float](repeating: 0, count: height * width * taps)
        let (cosine, sine) = (cos(angle), sin(angle))
        let centreRow = Double(height - 1) / 2, centreCol = Double(width - 1) / 2
        for i in 0..<height {
            for j in 0..<width {
                let x = Double(j) - centreCol, y = centreRow - Double(i)
                let sourceX = x * cosine + y * sine, sourceY = -x * sine + y * cosine
                let row = centreRow - sourceY, col = sourceX + centreCol
                let base = (i * width + j) * taps
                let rowTaps = Self.taps(at: row, interpolation: interpolation)
                let colTaps = Self.taps(at: col, interpolation: interpolation)
                var t = 0
                for (r, wr) in rowTaps {
                    for (c, wc) in colTaps {
                        defer { t += 1 }
                        guard let rr = Self.index(r, extent: height, edges: edges),
                              let cc = Self.index(c, extent: width, edges: edges) else { continue }
                        sources[base + t] = Int32(rr * width + cc)
                        weights[base + t] = Float(wr * wc)
                    }
                }
            }
        }
        self.sources = sources
        self.weights = weights
    }

    /// The sample indices and weights along one axis at coordinate `u`.
    static func taps(at u: Double, interpolation: RotationInterpolation) -> [(Int, Double)] {
        switch interpolation {
        case .nearest:
            return [(Int(u.rounded()), 1)]
        case .bilinear:
            let u0 = Int(u.rounded(.down)), f = u - Double(u0)
            return [(u0, 1 - f), (u0 + 1, f)]
        case .bicubic:
            let u0 = Int(u.rounded(.down)), f = u - Double(u0)
            return (-1...2).map { k in (u0 + k, keys(Double(k) - f)) }
        }
    }

    /// The cubic convolution kernel of Keys (1981) with a = −0.5.
    static func keys(_ s: Double) -> Double {
        let a = -0.5, t = abs(s)
        if t <= 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
        return 0
    }

    /// Where index `k` of an axis of `extent` samples reads under `edges`; nil = zero.
    static func index(_ k: Int, extent: Int, edges: EdgeMode) -> Int? {
        if k >= 0 && k < extent { return k }
        switch edges {
        case .zero:
            return nil
        case .replicate:
            return min(max(k, 0), extent - 1)
        case .reflect:
            guard extent > 1 else { return 0 }
            let period = 2 * (extent - 1)
            let m = ((k % period) + period) % period
            return m < extent ? m : period - m
        }
    }

    /// Every (H, W) plane of `tensor` (rank ≥ 2, the last two axes H and W) rotated.
    public func apply(_ tensor: Tensor) -> Tensor {
        precondition(tensor.rank >= 2 && tensor.shape[tensor.rank - 2] == height
                     && tensor.shape[tensor.rank - 1] == width,
                     "rotation of \(height)×\(width) planes got shape \(tensor.shape)")
        let planeSize = height * width
        var result = [Float](repeating: 0, count: tensor.count)
        tensor.storage.withUnsafeBufferPointer { input in
            for plane in 0..<(tensor.count / max(planeSize, 1)) {
                let offset = plane * planeSize
                for p in 0..<planeSize {
                    var sum: Float = 0
                    for t in (p * taps)..<((p + 1) * taps) where sources[t] >= 0 {
                        sum += weights[t] * input[offset + Int(sources[t])]
                    }
                    result[offset + p] = sum
                }
            }
        }
        return Tensor(shape: tensor.shape, storage: result)
    }

    /// A label map (H·W class indices, row-major) rotated with nearest sampling; pixels that
    /// read outside the plane under zero edges get `fill`.
    public func apply(labels: [Int32], fill: Int32 = 0) -> [Int32] {
        precondition(taps == 1, "label maps rotate with nearest sampling only")
        precondition(labels.count == height * width,
                     "a \(height)×\(width) label map needs \(height * width) labels")
        return sources.map { $0 >= 0 ? labels[Int($0)] : fill }
    }
}
