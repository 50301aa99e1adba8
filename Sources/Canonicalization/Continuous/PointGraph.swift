/// How the edges of a point graph are chosen.
public enum PointGraphKind: Codable, Equatable, Sendable {
    /// Each point receives messages from its k nearest other points (fewer when N ≤ k), and
    /// from every further point as near as the k-th (within a relative 1e-6), so that ties,
    /// as on a grid of keypoints, never pick neighbours by their order.
    case nearest(k: Int)
    /// Each point receives messages from every other point within `radius`, measured in units
    /// of the set's root-mean-square distance from its centroid (so the graph does not depend
    /// on the scale of the coordinates).
    case radius(Double)
}

/// The directed edges j → i of a point graph: messages flow from `sources[e]` to `targets[e]`.
///
/// Built from pairwise distances only, so the same edges (as pairs of points) arise after any
/// rotation, reflection or translation of the points, and a permutation of the points permutes
/// the edges with them; ties at the k-th distance are all kept.
public struct PointGraph: Equatable, Sendable {
    /// Sending point of every edge.
    public let sources: [Int32]
    /// Receiving point of every edge.
    public let targets: [Int32]
    /// Number of points.
    public let nodeCount: Int

    /// The graph of `kind` over the (N, 2) `coordinates`; `scale` is the unit of a radius.
    public init(coordinates: [Double], kind: PointGraphKind, scale: Double = 1) {
        let count = coordinates.count / 2
        var sources: [Int32] = [], targets: [Int32] = []
        for i in 0..<count {
            var distances: [(Double, Int)] = []
            for j in 0..<count where j != i {
                let dx = coordinates[2 * j] - coordinates[2 * i]
                let dy = coordinates[2 * j + 1] - coordinates[2 * i + 1]
                distances.append((dx * dx + dy * dy, j))
            }
            let chosen: [Int]
            switch kind {
            case let .nearest(k):
                distances.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                guard k < distances.count else { chosen = distances.map(\.1); break }
                let limit = distances[k - 1].0 * (1 + 1e-6)
                chosen = distances.prefix { $0.0 <= limit }.map(\.1)
            case let .radius(r):
                let limit = r * r * scale * scale
                chosen = distances.filter { $0.0 <= limit }.map(\.1)
            }
            for j in chosen {
                sources.append(Int32(j))
                targets.append(Int32(i))
            }
        }
        self.sources = sources
        self.targets = targets
        self.nodeCount = count
    }

    /// The edges, sources and targets given directly (tests, disjoint unions).
    public init(sources: [Int32], targets: [Int32], nodeCount: Int) {
        precondition(sources.count == targets.count, "one source per target")
        self.sources = sources
        self.targets = targets
        self.nodeCount = nodeCount
    }

    /// Number of edges.
    public var edgeCount: Int { sources.count }

    /// The disjoint union of graphs, node indices of each shifted past the previous ones.
    public static func union(_ graphs: [PointGraph]) -> PointGraph {
        var sources: [Int32] = [], targets: [Int32] = []
        var offset: Int32 = 0
        for graph in graphs {
            sources += graph.sources.map { $0 + offset }
            targets += graph.targets.map { $0 + offset }
            offset += Int32(graph.nodeCount)
        }
        return PointGraph(sources: sources, targets: targets, nodeCount: Int(offset))
    }
}
