/// The symmetry group of a continuous canonicalizer's frames.
public enum FrameGroup: String, Codable, Equatable, Sendable {
    /// Rotations only: one output vector gives the angle.
    case so2 = "SO2"
    /// Rotations and reflections: two output vectors give a frame by Gram–Schmidt, whose
    /// handedness says whether the points are mirrored.
    case o2 = "O2"

    /// Output vectors of the network (1 for SO(2), 2 for O(2)).
    public var frameVectorCount: Int { self == .so2 ? 1 : 2 }
}

/// Everything needed to rebuild an `EGNNCanonicalizer`; stored as JSON in the weight file's
/// metadata.
public struct EGNNConfiguration: Codable, Equatable, Sendable {
    /// SO(2) (angle) or O(2) (angle and reflection).
    public var group: FrameGroup
    /// Feature channels per input point (F ≥ 0); a constant channel is always added, so
    /// points without features work.
    public var featureChannels: Int
    /// Invariant features per node inside the network (H).
    public var hiddenFeatures: Int
    /// Message features per edge (M).
    public var messageFeatures: Int
    /// Vector channels per node inside the network (K, the "multi-channel" width).
    public var vectorChannels: Int
    /// EGNN layers (≥ 1).
    public var layers: Int
    /// How each point's neighbours are chosen.
    public var graph: PointGraphKind
    /// Seed of the initial weights.
    public var seed: UInt64

    /// Defaults sized for a few hundred points: H = M = 32, K = 4, 3 layers, 8 nearest
    /// neighbours (a few thousand multiply-adds per edge, well under a millisecond per set of
    /// 100 points).
    public init(group: FrameGroup = .so2, featureChannels: Int = 0, hiddenFeatures: Int = 32,
                messageFeatures: Int = 32, vectorChannels: Int = 4, layers: Int = 3,
                graph: PointGraphKind = .nearest(k: 8), seed: UInt64 = 0) {
        self.group = group
        self.featureChannels = featureChannels
        self.hiddenFeatures = hiddenFeatures
        self.messageFeatures = messageFeatures
        self.vectorChannels = vectorChannels
        self.layers = layers
        self.graph = graph
        self.seed = seed
    }

    /// Throws when a value cannot work, quoting it and saying what was expected.
    public func validate() throws {
        guard featureChannels >= 0 else {
            throw CanonicalizationError("featureChannels \(featureChannels) must be ≥ 0")
        }
        for (name, value) in [("hiddenFeatures", hiddenFeatures),
                              ("messageFeatures", messageFeatures),
                              ("vectorChannels", vectorChannels), ("layers", layers)]
        where value < 1 {
            throw CanonicalizationError("\(name) \(value) must be ≥ 1")
        }
        switch graph {
        case let .nearest(k) where k < 1:
            throw CanonicalizationError("graph nearest k \(k) must be ≥ 1")
        case let .radius(r) where !(r > 0 && r.isFinite):
            throw CanonicalizationError("graph radius \(r) must be a positive number")
        default:
            break
        }
    }
}
