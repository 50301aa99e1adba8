import NeuralNet
import TensorCore

/// A point set in its canonical frame, and the frame.
public struct PointCanonicalization: Equatable, Sendable {
    /// The points in canonical coordinates (features and weights unchanged, same order).
    public let canonical: PointSet
    /// The frame: every input point is frame.point(fromCanonical:) of its canonical point.
    public let frame: OrientationFrame
}

/// The inputs of the network for a batch of point sets: centred, scaled positions, the edges
/// of their disjoint union, invariant input features, and which set each node belongs to.
public struct EGNNInput {
    /// Geometry of the union of the sets' graphs.
    public let edges: EdgeGeometry
    /// (N_total, F + 1): each point's features and a constant 1.
    public let features: Tensor
    /// (N_total, 2): each point's position relative to its set's centroid, divided by the set's
    /// root-mean-square radius (so the network sees every set at unit scale).
    public let positions: Tensor
    /// Index of each node's set.
    public let setIndices: [Int32]
    /// The weighted centroid of each set.
    public let centres: [(x: Double, y: Double)]
}

/// The continuous canonicalizer for 2-D point sets: a multi-channel EGNN (`EGNNLayer`) whose
/// pooled vector channels give one (SO(2)) or two (O(2)) equivariant vectors, turned into an
/// `OrientationFrame` by Gram–Schmidt (Kaba et al. 2023 with an EGNN canonicalization network,
/// sec. 4.2).
///
/// Guarantees (up to float rounding): for any rotation R_φ (and reflection, for O(2)) and
/// translation t, canonicalize(R_φ P + t) has the same canonical points as canonicalize(P) and
/// an angle larger by φ; any permutation of the points gives the same frame. Sets that are too
/// symmetric to have a frame (a regular polygon, all points equal) are refused.
///
/// Shapes: per set N points with F features → frame vectors (B, 2C), C = 1 or 2.
public final class EGNNCanonicalizer: Module {
    /// Group, sizes and graph.
    public let configuration: EGNNConfiguration
    /// [features, 1] → H.
    public let embedding: Linear
    /// The EGNN layers; the first takes one vector channel (the position), the rest K.
    public let layers: [EGNNLayer]
    /// (C, K): the pooled vector channels mixed into the C frame vectors.
    public let readout: Variable

    /// A canonicalizer with fresh, seeded weights; throws for an invalid configuration.
    public init(configuration: EGNNConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        var generator = SeededGenerator(seed: configuration.seed)
        let (h, k) = (configuration.hiddenFeatures, configuration.vectorChannels)
        embedding = Linear(inputFeatures: configuration.featureChannels + 1,
                           outputFeatures: h, generator: &generator)
        layers = (0..<configuration.layers).map { index in
            EGNNLayer(features: h, vectorChannels: index == 0 ? 1 : k, outputVectorChannels: k,
                      messages: configuration.messageFeatures, generator: &generator)
        }
        readout = Variable(Initializer.xavierNormal.tensor(
            shape: [configuration.group.frameVectorCount, k], generator: &generator),
                           requiresGrad: true)
        super.init()
    }

    /// The network inputs of `sets`; throws for a set with fewer than 2 points or the wrong
    /// number of feature channels.
    public func input(for sets: [PointSet]) throws -> EGNNInput {
        var graphs: [PointGraph] = [], positions: [Float] = [], features: [Float] = []
        var setIndices: [Int32] = [], centres: [(x: Double, y: Double)] = []
        let f = configuration.featureChannels
        for (index, set) in sets.enumerated() {
            guard set.count >= 2 else {
                throw CanonicalizationError("a point set needs at least 2 points for an "
                                            + "orientation, got \(set.count)")
            }
            guard set.featureCount == f else {
                throw CanonicalizationError("the points carry \(set.featureCount) feature "
                                            + "channels, the model expects \(f)")
            }
            let centre = set.centroid
            var relative = [Double](repeating: 0, count: 2 * set.count)
            var meanSquare = 0.0
            for i in 0..<set.count {
                relative[2 * i] = set.coordinates[2 * i] - centre.x
                relative[2 * i + 1] = set.coordinates[2 * i + 1] - centre.y
                meanSquare += relative[2 * i] * relative[2 * i]
                    + relative[2 * i + 1] * relative[2 * i + 1]
            }
            let scale = (meanSquare / Double(set.count)).squareRoot()
            guard scale > 0, scale.isFinite else {
                throw CanonicalizationError("the points of a set all coincide (or are not "
                                            + "finite); they have no orientation")
            }
            let unit = relative.map { $0 / scale }
            graphs.append(PointGraph(coordinates: unit, kind: configuration.graph))
            positions += unit.map { Float($0) }
            for i in 0..<set.count {
                features += set.features[(i * f)..<(i * f + f)]
                features.append(1)
            }
            setIndices += [Int32](repeating: Int32(index), count: set.count)
            centres.append(centre)
        }
        let nodes = setIndices.count
        return EGNNInput(
            edges: EdgeGeometry(graph: PointGraph.union(graphs), positions: positions),
            features: Tensor(shape: [nodes, f + 1], storage: features),
            positions: Tensor(shape: [nodes, 2], storage: positions),
            setIndices: setIndices, centres: centres)
    }

    /// The frame vectors of every set, (B, 2C) on the tape: the layers, the mean of each set's
    /// vector channels, and the readout mixing.
    public func frameVectors(_ input: EGNNInput) -> Variable {
        var h = embedding(Variable(input.features))  // (N, H)
        var vectors = Variable(input.positions)  // (N, 2)
        for layer in layers {
            (h, vectors) = layer(features: h, vectors: vectors, edges: input.edges)
        }
        let pooled = EGNNOperations.scatterMean(vectors, indices: input.setIndices,
                                                rows: input.centres.count)  // (B, 2K)
        return EGNNOperations.mixChannels(pooled, weight: readout)  // (B, 2C)
    }

    /// The frames of `sets`; throws for sets without one (too few points, too symmetric).
    public func frames(of sets: [PointSet]) throws -> [OrientationFrame] {
        let input = try self.input(for: sets)
        let vectors = GradientTape.withoutRecording { frameVectors(input) }.value.storage
        let c = configuration.group.frameVectorCount
        return try input.centres.enumerated().map { b, centre in
            let pairs = (0..<c).map { k in
                (x: Double(vectors[(b * c + k) * 2]), y: Double(vectors[(b * c + k) * 2 + 1]))
            }
            guard let frame = OrientationFrame(vectors: pairs, centre: centre) else {
                throw CanonicalizationError("the point set is too symmetric for the model to "
                                            + "choose an orientation (frame vector of zero "
                                            + "length)")
            }
            return frame
        }
    }

    /// `points` in their canonical frame, and the frame.
    public func canonicalize(_ points: PointSet) throws -> PointCanonicalization {
        let frame = try frames(of: [points])[0]
        var canonical = points
        for i in 0..<points.count {
            let p = frame.canonical(x: points.coordinates[2 * i], y: points.coordinates[2 * i + 1])
            canonical.coordinates[2 * i] = p.x
            canonical.coordinates[2 * i + 1] = p.y
        }
        return PointCanonicalization(canonical: canonical, frame: frame)
    }
}
