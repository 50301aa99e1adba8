import NeuralNet
import TensorCore

/// Group pooling: max or mean over the |G| poses of every field, which turns a regular feature
/// map into an invariant one (Cohen & Welling 2016, sec. 6.3): pool(g·f) = T_g pool(f).
/// Shapes: (N, C, |G|, H, W) → (N, C, H, W).
public final class GroupPooling: Module {
    /// Max or mean over poses.
    public enum Kind: String, Sendable, Codable { case max, mean }

    /// Max or mean.
    public let kind: Kind

    /// Pooling over the group axis.
    public init(_ kind: Kind = .max) {
        self.kind = kind
        super.init()
    }

    /// (N, C, |G|, H, W) → (N, C, H, W).
    public override func forward(_ input: Variable) -> Variable {
        let s = input.shape
        precondition(s.count == 5, "GroupPooling input must be (N, C, G, H, W), got \(s)")
        let (output, argmax) = GroupPooling.poolForward(input.value, kind: kind)
        let kind = self.kind
        return Variable.record(output, parents: [input]) { g in
            [GroupPooling.poolBackward(outputGradient: g, inputShape: s, kind: kind,
                                       argmax: argmax)]
        }
    }

    /// Forward kernel: y[n, c, p] = max_g or mean_g x[n, c, g, p]. For max, also the pose of
    /// the maximum per output sample (first one on ties).
    static func poolForward(_ x: Tensor, kind: Kind) -> (Tensor, [Int32]) {
        let s = x.shape
        let outer = s[0] * s[1], order = s[2], plane = s[3] * s[4]
        var output = [Float](repeating: 0, count: outer * plane)  // (N, C, H, W)
        var argmax = [Int32](repeating: 0, count: kind == .max ? outer * plane : 0)
        x.storage.withUnsafeBufferPointer { xs in
            output.withUnsafeMutableBufferPointer { ys in
                for o in 0..<outer {
                    let inBase = o * order * plane, outBase = o * plane
                    for p in 0..<plane { ys[outBase + p] = xs[inBase + p] }
                    for g in 1..<max(order, 1) {
                        let row = inBase + g * plane
                        switch kind {
                        case .max:
                            for p in 0..<plane where xs[row + p] > ys[outBase + p] {
                                ys[outBase + p] = xs[row + p]
                                argmax[outBase + p] = Int32(g)
                            }
                        case .mean:
                            for p in 0..<plane { ys[outBase + p] += xs[row + p] }
                        }
                    }
                    if kind == .mean {
                        let scale = 1 / Float(order)
                        for p in 0..<plane { ys[outBase + p] *= scale }
                    }
                }
            }
        }
        return (Tensor(shape: [s[0], s[1], s[3], s[4]], storage: output), argmax)
    }

    /// Backward kernel: max routes g to the arg-max pose; mean spreads g/|G| over the poses.
    static func poolBackward(outputGradient: Tensor, inputShape s: [Int], kind: Kind,
                             argmax: [Int32]) -> Tensor {
        let outer = s[0] * s[1], order = s[2], plane = s[3] * s[4]
        var gradient = [Float](repeating: 0, count: outer * order * plane)  // (N, C, G, H, W)
        outputGradient.storage.withUnsafeBufferPointer { gy in
            for o in 0..<outer {
                for p in 0..<plane {
                    let value = gy[o * plane + p]
                    switch kind {
                    case .max:
                        gradient[(o * order + Int(argmax[o * plane + p])) * plane + p] = value
                    case .mean:
                        for g in 0..<order {
                            gradient[(o * order + g) * plane + p] = value / Float(order)
                        }
                    }
                }
            }
        }
        return Tensor(shape: s, storage: gradient)
    }
}
