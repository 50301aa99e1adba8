import NeuralNet
import TensorCore

extension EGNNOperations {
    /// The points of every set in its canonical frame, on the tape: p'_i = (e_right·r_i,
    /// e_up·r_i) for the centred, scaled positions r (N, 2) of `input`, with e_up = u₁/|u₁| and
    /// e_right = R_(−90°) e_up (SO(2)) or u₂ orthogonalised against e_up and normalised (O(2),
    /// Gram–Schmidt), as `OrientationFrame` builds them. Vectors (B, 2C) → positions (N, 2).
    ///
    /// The positions are data; the gradient flows into the frame vectors through the
    /// Gram–Schmidt steps (for e = u/|u|: ∂u = (∂e − (∂e·e)e)/|u|; for w = u₂ − (u₂·e)e:
    /// ∂u₂ = ∂w − (∂w·e)e and ∂e −= (∂w·e)u₂ + (u₂·e)∂w). Vectors shorter than 1e-12 pass
    /// no gradient.
    public static func canonicalPositions(_ vectors: Variable, input: EGNNInput) -> Variable {
        let sets = input.centres.count
        let count = vectors.shape[1] / 2
        precondition(vectors.shape.count == 2 && vectors.shape[0] == sets
                     && (count == 1 || count == 2),
                     "canonicalPositions takes (\(sets), 2) or (\(sets), 4) vectors, got "
                     + "\(vectors.shape)")
        let u = vectors.value.storage.map(Double.init)
        let r = input.positions.storage
        typealias Frame = (up: (Double, Double), right: (Double, Double), upLength: Double,
                           w: (Double, Double), wLength: Double)
        func unit(_ x: Double, _ y: Double) -> ((Double, Double), Double) {
            let length = (x * x + y * y).squareRoot()
            return length > 1e-12 ? ((x / length, y / length), length) : ((0, 0), 0)
        }
        let frames: [Frame] = (0..<sets).map { b in
            let base = b * 2 * count
            let (up, upLength) = unit(u[base], u[base + 1])
            guard count == 2 else {
                return (up, (up.1, -up.0), upLength, (0, 0), 0)
            }
            let along = u[base + 2] * up.0 + u[base + 3] * up.1
            let w = (u[base + 2] - along * up.0, u[base + 3] - along * up.1)
            let (right, wLength) = unit(w.0, w.1)
            return (up, right, upLength, w, wLength)
        }
        var output = [Float](repeating: 0, count: r.count)  // (N, 2)
        for (i, set) in input.setIndices.enumerated() {
            let f = frames[Int(set)]
            let (x, y) = (Double(r[2 * i]), Double(r[2 * i + 1]))
            output[2 * i] = Float(f.right.0 * x + f.right.1 * y)
            output[2 * i + 1] = Float(f.up.0 * x + f.up.1 * y)
        }
        return Variable.record(Tensor(shape: input.positions.shape, storage: output),
                               parents: [vectors]) { g in
            // ∂L/∂e_right and ∂L/∂e_up of every set: Σ_i g_i · r_i.
            var gRight = [(Double, Double)](repeating: (0, 0), count: sets)
            var gUp = [(Double, Double)](repeating: (0, 0), count: sets)
            for (i, set) in input.setIndices.enumerated() {
                let b = Int(set)
                let (x, y) = (Double(r[2 * i]), Double(r[2 * i + 1]))
                let (gx, gy) = (Double(g.storage[2 * i]), Double(g.storage[2 * i + 1]))
                gRight[b] = (gRight[b].0 + gx * x, gRight[b].1 + gx * y)
                gUp[b] = (gUp[b].0 + gy * x, gUp[b].1 + gy * y)
            }
            var gradient = [Float](repeating: 0, count: u.count)  // (B, 2C)
            for b in 0..<sets {
                let f = frames[b], base = b * 2 * count
                var ge = gUp[b]
                if count == 1 {
                    // e_right = (e_up.y, −e_up.x).
                    ge = (ge.0 - gRight[b].1, ge.1 + gRight[b].0)
                } else if f.wLength > 0 {
                    let gr = gRight[b], e = f.right
                    let dot = gr.0 * e.0 + gr.1 * e.1
                    let gw = ((gr.0 - dot * e.0) / f.wLength, (gr.1 - dot * e.1) / f.wLength)
                    let gwUp = gw.0 * f.up.0 + gw.1 * f.up.1
                    let u2 = (u[base + 2], u[base + 3])
                    let u2Up = u2.0 * f.up.0 + u2.1 * f.up.1
                    gradient[base + 2] = Float(gw.0 - gwUp * f.up.0)
                    gradient[base + 3] = Float(gw.1 - gwUp * f.up.1)
                    ge = (ge.0 - gwUp * u2.0 - u2Up * gw.0, ge.1 - gwUp * u2.1 - u2Up * gw.1)
                }
                guard f.upLength > 0 else { continue }
                let dot = ge.0 * f.up.0 + ge.1 * f.up.1
                gradient[base] = Float((ge.0 - dot * f.up.0) / f.upLength)
                gradient[base + 1] = Float((ge.1 - dot * f.up.1) / f.upLength)
            }
            return [Tensor(shape: vectors.shape, storage: gradient)]
        }
    }
}
