import Foundation
import NeuralNet
import TensorCore

/// The tape operations of the EGNN layers that NeuralNet lacks: gathers and scatters over the
/// edges of a point graph, and the products of invariant scalars with 2-D vectors. Each runs
/// its forward loop beside its backward twin.
///
/// Layouts: node values (N, F), edge values (E, F); K vector channels of a node or an edge are
/// stored as (·, 2K) with vector k at columns 2k (x) and 2k + 1 (y).
public enum EGNNOperations {
    /// SiLU x · σ(x) (the activation of Satorras et al. 2021); smooth, so finite differences
    /// check it anywhere.
    public static func silu(_ x: Variable) -> Variable {
        let input = x.value.storage
        let sigma = input.map { 1 / (1 + expf(-$0)) }
        let output = zip(input, sigma).map { $0 * $1 }
        return Variable.record(Tensor(shape: x.shape, storage: output), parents: [x]) { g in
            var gradient = [Float](repeating: 0, count: input.count)
            for i in 0..<input.count {
                // d/dx x σ(x) = σ(x) (1 + x (1 − σ(x))).
                gradient[i] = g.storage[i] * sigma[i] * (1 + input[i] * (1 - sigma[i]))
            }
            return [Tensor(shape: g.shape, storage: gradient)]
        }
    }

    /// Rows of `x` (N, F) picked by `indices` (E) → (E, F); backward adds each edge's gradient
    /// into its row.
    public static func gatherRows(_ x: Variable, indices: [Int32]) -> Variable {
        precondition(x.shape.count == 2, "gatherRows takes (N, F), got \(x.shape)")
        let (rows, width) = (x.shape[0], x.shape[1])
        var output = [Float](repeating: 0, count: indices.count * width)  // (E, F)
        x.value.storage.withUnsafeBufferPointer { input in
            for (e, index) in indices.enumerated() {
                precondition(Int(index) >= 0 && Int(index) < rows,
                             "gatherRows index \(index) outside 0..<\(rows)")
                for f in 0..<width { output[e * width + f] = input[Int(index) * width + f] }
            }
        }
        return Variable.record(Tensor(shape: [indices.count, width], storage: output),
                               parents: [x]) { g in
            [scatterSum(g.storage, indices: indices, rows: rows, width: width, scale: nil)]
        }
    }

    /// The mean of the rows of `x` (E, F) that `indices` (E) send to each of `rows` targets
    /// → (rows, F); a target that receives nothing gets zeros. Backward gives every edge its
    /// target's gradient divided by the target's count.
    public static func scatterMean(_ x: Variable, indices: [Int32], rows: Int) -> Variable {
        precondition(x.shape.count == 2 && x.shape[0] == indices.count,
                     "scatterMean takes (E, F) with E = \(indices.count) indices, got \(x.shape)")
        let width = x.shape[1]
        var counts = [Float](repeating: 0, count: rows)
        for index in indices { counts[Int(index)] += 1 }
        let inverse = counts.map { $0 > 0 ? 1 / $0 : 0 }
        let output = scatterSum(x.value.storage, indices: indices, rows: rows, width: width,
                                scale: inverse)
        return Variable.record(output, parents: [x]) { g in
            var gradient = [Float](repeating: 0, count: indices.count * width)  // (E, F)
            for (e, index) in indices.enumerated() {
                let row = Int(index)
                for f in 0..<width {
                    gradient[e * width + f] = g.storage[row * width + f] * inverse[row]
                }
            }
            return [Tensor(shape: [indices.count, width], storage: gradient)]
        }
    }

    /// Σ over the rows sent to each target, each target's sum times `scale[target]` if given.
    static func scatterSum(_ values: [Float], indices: [Int32], rows: Int, width: Int,
                           scale: [Float]?) -> Tensor {
        var output = [Float](repeating: 0, count: rows * width)  // (rows, F)
        for (e, index) in indices.enumerated() {
            let row = Int(index)
            for f in 0..<width { output[row * width + f] += values[e * width + f] }
        }
        if let scale {
            for row in 0..<rows {
                for f in 0..<width { output[row * width + f] *= scale[row] }
            }
        }
        return Tensor(shape: [rows, width], storage: output)
    }

    /// Squared length of every vector channel: (N, 2K) → (N, K), the invariants of the
    /// vectors. Backward 2·v·g.
    public static func squaredNorms(_ vectors: Variable) -> Variable {
        precondition(vectors.shape.count == 2 && vectors.shape[1] % 2 == 0,
                     "squaredNorms takes (N, 2K), got \(vectors.shape)")
        let (rows, channels) = (vectors.shape[0], vectors.shape[1] / 2)
        let v = vectors.value.storage
        var output = [Float](repeating: 0, count: rows * channels)  // (N, K)
        for i in 0..<(rows * channels) {
            output[i] = v[2 * i] * v[2 * i] + v[2 * i + 1] * v[2 * i + 1]
        }
        return Variable.record(Tensor(shape: [rows, channels], storage: output),
                               parents: [vectors]) { g in
            var gradient = [Float](repeating: 0, count: v.count)  // (N, 2K)
            for i in 0..<(rows * channels) {
                gradient[2 * i] = 2 * v[2 * i] * g.storage[i]
                gradient[2 * i + 1] = 2 * v[2 * i + 1] * g.storage[i]
            }
            return [Tensor(shape: vectors.shape, storage: gradient)]
        }
    }

    /// One 2-D vector per row (E, 2) times K scalars per row (E, K) → (E, 2K):
    /// out[e, k] = weights[e, k] · vectors[e]. The vectors are data (relative positions).
    public static func scaleVectors(_ vectors: Tensor, by weights: Variable) -> Variable {
        precondition(vectors.shape.count == 2 && vectors.shape[1] == 2
                     && weights.shape.count == 2 && weights.shape[0] == vectors.shape[0],
                     "scaleVectors takes vectors (E, 2) and weights (E, K), got "
                     + "\(vectors.shape) and \(weights.shape)")
        let (rows, channels) = (weights.shape[0], weights.shape[1])
        let d = vectors.storage, w = weights.value.storage
        var output = [Float](repeating: 0, count: rows * channels * 2)  // (E, 2K)
        for e in 0..<rows {
            for k in 0..<channels {
                output[(e * channels + k) * 2] = w[e * channels + k] * d[2 * e]
                output[(e * channels + k) * 2 + 1] = w[e * channels + k] * d[2 * e + 1]
            }
        }
        return Variable.record(Tensor(shape: [rows, 2 * channels], storage: output),
                               parents: [weights]) { g in
            var gradient = [Float](repeating: 0, count: rows * channels)  // (E, K)
            for e in 0..<rows {
                for k in 0..<channels {
                    let base = (e * channels + k) * 2
                    gradient[e * channels + k] = g.storage[base] * d[2 * e]
                        + g.storage[base + 1] * d[2 * e + 1]
                }
            }
            return [Tensor(shape: [rows, channels], storage: gradient)]
        }
    }

    /// Linear mixing of vector channels with invariant weights: (N, 2K) and `weight` (K', K)
    /// → (N, 2K'), out[n, k'] = Σ_k weight[k', k] · v[n, k]. Equivariant under O(2) because the
    /// same weights act on both coordinates.
    public static func mixChannels(_ vectors: Variable, weight: Variable) -> Variable {
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        precondition(vectors.shape.count == 2 && vectors.shape[1] == 2 * inputs,
                     "mixChannels takes (N, \(2 * inputs)) for weight \(weight.shape), got "
                     + "\(vectors.shape)")
        let rows = vectors.shape[0]
        let v = vectors.value.storage, w = weight.value.storage
        var output = [Float](repeating: 0, count: rows * outputs * 2)  // (N, 2K')
        for n in 0..<rows {
            for o in 0..<outputs {
                var x: Float = 0, y: Float = 0
                for k in 0..<inputs {
                    x += w[o * inputs + k] * v[(n * inputs + k) * 2]
                    y += w[o * inputs + k] * v[(n * inputs + k) * 2 + 1]
                }
                output[(n * outputs + o) * 2] = x
                output[(n * outputs + o) * 2 + 1] = y
            }
        }
        return Variable.record(Tensor(shape: [rows, 2 * outputs], storage: output),
                               parents: [vectors, weight]) { g in
            var vectorGradient = [Float](repeating: 0, count: v.count)  // (N, 2K)
            var weightGradient = [Float](repeating: 0, count: w.count)  // (K', K)
            for n in 0..<rows {
                for o in 0..<outputs {
                    let gx = g.storage[(n * outputs + o) * 2]
                    let gy = g.storage[(n * outputs + o) * 2 + 1]
                    for k in 0..<inputs {
                        let base = (n * inputs + k) * 2
                        vectorGradient[base] += w[o * inputs + k] * gx
                        vectorGradient[base + 1] += w[o * inputs + k] * gy
                        weightGradient[o * inputs + k] += v[base] * gx + v[base + 1] * gy
                    }
                }
            }
            return [Tensor(shape: vectors.shape, storage: vectorGradient),
                    Tensor(shape: weight.shape, storage: weightGradient)]
        }
    }
}
