import NeuralNet
import TensorCore

/// The fixed geometry of a graph's edges: relative positions and squared distances, computed
/// once per point set from its (centred, scaled) coordinates.
public struct EdgeGeometry {
    /// Who sends to whom.
    public let graph: PointGraph
    /// r_i − r_j of every edge j → i, (E, 2).
    public let offsets: Tensor
    /// |r_i − r_j|² of every edge, (E, 1).
    public let squaredDistances: Tensor

    /// The geometry of `graph` over the (N, 2) coordinates `positions`.
    public init(graph: PointGraph, positions: [Float]) {
        precondition(positions.count == 2 * graph.nodeCount,
                     "positions must be (\(graph.nodeCount), 2), got \(positions.count) values")
        var offsets = [Float](repeating: 0, count: 2 * graph.edgeCount)  // (E, 2)
        var distances = [Float](repeating: 0, count: graph.edgeCount)  // (E, 1)
        for e in 0..<graph.edgeCount {
            let i = Int(graph.targets[e]), j = Int(graph.sources[e])
            let dx = positions[2 * i] - positions[2 * j]
            let dy = positions[2 * i + 1] - positions[2 * j + 1]
            offsets[2 * e] = dx
            offsets[2 * e + 1] = dy
            distances[e] = dx * dx + dy * dy
        }
        self.graph = graph
        self.offsets = Tensor(shape: [graph.edgeCount, 2], storage: offsets)
        self.squaredDistances = Tensor(shape: [graph.edgeCount, 1], storage: distances)
    }
}

/// One multi-channel E(n)-equivariant graph layer (Satorras, Hoogeboom and Welling 2021,
/// "E(n) Equivariant Graph Neural Networks", eq. 3–6, with K vector channels per node in
/// place of one coordinate, after Levy et al. 2023, "Using multiple vector channels improves
/// E(n)-equivariant graph neural networks").
///
/// For an edge j → i with invariant features h (N, H) and vector channels V (N, 2K):
/// - q_i = (|V_i^1|², …, |V_i^K|²), the invariants of the vectors;
/// - m_ij = φ_e([h_i, q_i, h_j, q_j, |r_i − r_j|²]) (two linear maps with SiLU), (E, M);
/// - V_i' = W V_i + mean_j (r_i − r_j) φ_v(m_ij), with W (K', K) mixing channels and φ_v
///   linear to K' scalars, (N, 2K');
/// - h_i' = h_i + φ_h([h_i, mean_j m_ij]) (two linear maps with SiLU), (N, H).
///
/// Every vector is a sum of invariant scalars times vectors, so V' turns and mirrors with the
/// input, and h' is invariant; sums over neighbours make it permutation equivariant.
public final class EGNNLayer: Module {
    /// φ_e: [h_i, q_i, h_j, q_j, d²] → M, then M → M.
    public let edgeInput: Linear, edgeOutput: Linear
    /// φ_v: M → K' scalars, one per output vector channel.
    public let vectorWeights: Linear
    /// W (K', K): channel mixing of the vectors.
    public let vectorMixing: Variable
    /// φ_h: [h, mean m] → H, then H → H.
    public let nodeInput: Linear, nodeOutput: Linear

    /// A layer for H invariant features, K input and K' output vector channels, M message
    /// features; seeded weights.
    public init(features: Int, vectorChannels: Int, outputVectorChannels: Int, messages: Int,
                generator: inout SeededGenerator) {
        let invariants = features + vectorChannels
        edgeInput = Linear(inputFeatures: 2 * invariants + 1, outputFeatures: messages,
                           generator: &generator)
        edgeOutput = Linear(inputFeatures: messages, outputFeatures: messages,
                            generator: &generator)
        vectorWeights = Linear(inputFeatures: messages, outputFeatures: outputVectorChannels,
                               initializer: .xavierNormal, generator: &generator)
        vectorMixing = Variable(Initializer.xavierNormal.tensor(
            shape: [outputVectorChannels, vectorChannels], generator: &generator),
                                requiresGrad: true)
        nodeInput = Linear(inputFeatures: features + messages, outputFeatures: features,
                           generator: &generator)
        nodeOutput = Linear(inputFeatures: features, outputFeatures: features,
                            initializer: .xavierNormal, generator: &generator)
        super.init()
    }

    /// (h (N, H), V (N, 2K)) → (h' (N, H), V' (N, 2K')).
    public func callAsFunction(features h: Variable, vectors: Variable, edges: EdgeGeometry)
        -> (features: Variable, vectors: Variable) {
        let nodes = edges.graph.nodeCount
        precondition(h.shape.first == nodes && vectors.shape.first == nodes,
                     "EGNNLayer: features \(h.shape) and vectors \(vectors.shape) must have "
                     + "\(nodes) rows")
        let invariants = Functional.concatenate([h, EGNNOperations.squaredNorms(vectors)])
        let edgeFeatures = Functional.concatenate([
            EGNNOperations.gatherRows(invariants, indices: edges.graph.targets),
            EGNNOperations.gatherRows(invariants, indices: edges.graph.sources),
            Variable(edges.squaredDistances),
        ])  // (E, 2(H + K) + 1)
        let messages = EGNNOperations.silu(edgeOutput(EGNNOperations.silu(
            edgeInput(edgeFeatures))))  // (E, M)
        let pushed = EGNNOperations.scaleVectors(edges.offsets,
                                                 by: vectorWeights(messages))  // (E, 2K')
        let newVectors = EGNNOperations.mixChannels(vectors, weight: vectorMixing)
            + EGNNOperations.scatterMean(pushed, indices: edges.graph.targets, rows: nodes)
        let received = EGNNOperations.scatterMean(messages, indices: edges.graph.targets,
                                                  rows: nodes)  // (N, M)
        let update = nodeOutput(EGNNOperations.silu(nodeInput(
            Functional.concatenate([h, received]))))
        return (h + update, newVectors)
    }
}
