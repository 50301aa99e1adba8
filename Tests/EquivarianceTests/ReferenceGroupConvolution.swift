import TensorCore
import _TestSupport

/// A slow group convolution that follows Cohen & Welling's formulas literally, with its own
/// rot90/flip and its own way of finding g⁻¹h (by comparing transformed probe planes), so that
/// it shares no code with the library's expansion:
///
///     lifting: out[n, o, g, y, x] = b[o] + Σ_{i,u,v} x[n, i, y+u−p, x+v−p] · (T_g ψ[o, i])[u, v]
///     group:   out[n, o, g, y, x] = b[o] + Σ_{i,h,u,v} f[n, i, h, y+u−p, x+v−p]
///                                               · (T_g ψ[o, i, g⁻¹h])[u, v]
///
/// with T_g = rot90^r ∘ fliplr^m for g = (m, r) at index 4m + r (rotation order 4 only).
enum ReferenceGroupConvolution {
    /// T_(m, r) applied literally to a square plane.
    static func transform(_ plane: Tensor, mirrored: Bool, rotation: Int) -> Tensor {
        var result = mirrored ? numpyFlipW(plane) : plane
        for _ in 0..<rotation { result = numpyRot90(result) }
        return result
    }

    /// (mirrored, rotation) of index `g` in a group of order `order` (4 or 8).
    static func pose(_ g: Int) -> (Bool, Int) { (g >= 4, g % 4) }

    /// For every (g, h): the k with T_g T_k = T_h, found on an asymmetric probe plane.
    static func relativePoses(order: Int) -> [[Int]] {
        let probe = Tensor(shape: [3, 3], generator: { Float($0 * $0 + 1) })
        let planes = (0..<order).map { k -> Tensor in
            let (m, r) = pose(k)
            return transform(probe, mirrored: m, rotation: r)
        }
        return (0..<order).map { g in
            (0..<order).map { h in
                let (m, r) = pose(g)
                return (0..<order).first { k in
                    transform(planes[k], mirrored: m, rotation: r) == planes[h]
                } ?? -1
            }
        }
    }

    /// Lifting: x (N, Cin, H, W), ψ (Cout, Cin, k, k), b (Cout) → (N, Cout, |G|, Ho, Wo).
    static func lifting(_ x: Tensor, weight: Tensor, bias: Tensor?, order: Int,
                        padding: Int) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (weight.shape[0], weight.shape[2])
        let ho = h + 2 * padding - k + 1, wo = w + 2 * padding - k + 1
        var out = Tensor(zeros: [n, cout, order, ho, wo])
        for o in 0..<cout {
            for g in 0..<order {
                let (m, r) = pose(g)
                let filters = (0..<cin).map { i in
                    transform(Tensor(shape: [k, k], generator: { weight[o, i, $0 / k, $0 % k] }),
                              mirrored: m, rotation: r)
                }
                for b in 0..<n {
                    for y in 0..<ho {
                        for xx in 0..<wo {
                            var sum = bias.map { $0[o] } ?? 0
                            for i in 0..<cin {
                                for u in 0..<k {
                                    for v in 0..<k {
                                        let sy = y + u - padding, sx = xx + v - padding
                                        guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
                                        sum += x[b, i, sy, sx] * filters[i][u, v]
                                    }
                                }
                            }
                            out[b, o, g, y, xx] = sum
                        }
                    }
                }
            }
        }
        return out
    }

    /// Group: f (N, Cin, |G|, H, W), ψ (Cout, Cin, |G|, k, k), b (Cout) → (N, Cout, |G|, Ho, Wo).
    static func group(_ f: Tensor, weight: Tensor, bias: Tensor?, padding: Int) -> Tensor {
        let (n, cin, order, h, w) = (f.shape[0], f.shape[1], f.shape[2], f.shape[3], f.shape[4])
        let (cout, k) = (weight.shape[0], weight.shape[3])
        let relative = relativePoses(order: order)
        let ho = h + 2 * padding - k + 1, wo = w + 2 * padding - k + 1
        var out = Tensor(zeros: [n, cout, order, ho, wo])
        for o in 0..<cout {
            for g in 0..<order {
                let (m, r) = pose(g)
                // filters[i][h] = T_g ψ[o, i, g⁻¹h]
                let filters = (0..<cin).map { i in
                    (0..<order).map { hh in
                        transform(Tensor(shape: [k, k], generator: {
                            weight[o, i, relative[g][hh], $0 / k, $0 % k]
                        }), mirrored: m, rotation: r)
                    }
                }
                for b in 0..<n {
                    for y in 0..<ho {
                        for xx in 0..<wo {
                            var sum = bias.map { $0[o] } ?? 0
                            for i in 0..<cin {
                                for hh in 0..<order {
                                    for u in 0..<k {
                                        for v in 0..<k {
                                            let sy = y + u - padding, sx = xx + v - padding
                                            guard sy >= 0, sy < h, sx >= 0, sx < w else {
                                                continue
                                            }
                                            sum += f[b, i, hh, sy, sx] * filters[i][hh][u, v]
                                        }
                                    }
                                }
                            }
                            out[b, o, g, y, xx] = sum
                        }
                    }
                }
            }
        }
        return out
    }
}
