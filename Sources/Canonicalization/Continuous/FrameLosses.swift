import Foundation
import NeuralNet
import TensorCore

/// Losses on the frame vectors of `EGNNCanonicalizer`, each beside its backward pass.
public enum FrameLosses {
    /// Mean over sets of Σ_c (1 − cos ∠(u_c, t_c)): (B, 2C) frame vectors against (B, 2C)
    /// target directions (unit vectors) → scalar. Zero when every vector points along its
    /// target; the gradient −(t/|u| − (u·t) u/|u|³)/B is orthogonal to u, so training turns the
    /// vectors and leaves their length alone. Vectors shorter than 1e-12 contribute 1 and no
    /// gradient.
    public static func cosine(_ vectors: Variable, targets: [Float]) -> Variable {
        precondition(vectors.shape.count == 2 && vectors.shape[1] % 2 == 0
                     && targets.count == vectors.value.count,
                     "cosine loss takes (B, 2C) vectors and as many targets, got "
                     + "\(vectors.shape) and \(targets.count)")
        let u = vectors.value.storage
        let pairs = u.count / 2
        let batch = Float(max(vectors.shape[0], 1))
        var loss: Float = 0
        var gradient = [Float](repeating: 0, count: u.count)  // (B, 2C)
        for p in 0..<pairs {
            let (x, y) = (u[2 * p], u[2 * p + 1])
            let (tx, ty) = (targets[2 * p], targets[2 * p + 1])
            let length = (x * x + y * y).squareRoot()
            guard length > 1e-12 else { loss += 1; continue }
            let dot = x * tx + y * ty
            loss += 1 - dot / length
            let cube = length * length * length
            gradient[2 * p] = -(tx / length - dot * x / cube) / batch
            gradient[2 * p + 1] = -(ty / length - dot * y / cube) / batch
        }
        return Variable.record(Tensor(scalar: loss / batch), parents: [vectors]) { g in
            [Tensor(shape: vectors.shape, storage: gradient.map { $0 * g.storage[0] })]
        }
    }

    /// The target directions of the frame R_φ F^m (`OrientationFrame`): the canonical up
    /// R_φ (0, 1) and, for two vectors, the canonical right R_φ F^m (1, 0) = ±R_φ (1, 0).
    public static func targets(angle: Double, mirrored: Bool, vectorCount: Int) -> [Float] {
        let (c, s) = (Float(cos(angle)), Float(sin(angle)))
        guard vectorCount == 2 else { return [-s, c] }
        let sign: Float = mirrored ? -1 : 1
        return [-s, c, c * sign, s * sign]
    }
}
