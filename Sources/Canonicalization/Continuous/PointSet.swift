import Foundation

/// A 2-D point set with per-point feature channels and weights: nuclei centroids with their
/// area and mean intensity, or intensity-weighted keypoints of a scan.
///
/// Layout: `coordinates` (N, 2) as x, y pairs in any unit (pixels for points of a scan, x to
/// the right and y down for image points: `ScanKeypoints` documents the convention);
/// `features` (N, F), invariant per-point values (areas, intensities, one-hot classes);
/// `weights` (N), non-negative, the weights of the centroid the canonicalizer centres on.
public struct PointSet: Equatable, Sendable {
    /// x, y of every point, (N, 2).
    public var coordinates: [Double]
    /// Feature channels of every point, (N, F).
    public var features: [Float]
    /// Feature channels per point (F ≥ 0).
    public let featureCount: Int
    /// Weight of every point in the centroid (N); all 1 for a plain centroid.
    public var weights: [Double]

    /// A point set; `weights` default to 1. Preconditions check the layouts.
    public init(coordinates: [Double], features: [Float] = [], featureCount: Int = 0,
                weights: [Double]? = nil) {
        precondition(coordinates.count % 2 == 0,
                     "coordinates hold x, y pairs, got \(coordinates.count) values")
        let count = coordinates.count / 2
        precondition(features.count == count * featureCount,
                     "features must be (N, F) = (\(count), \(featureCount)), got "
                     + "\(features.count) values")
        precondition(weights.map { $0.count == count && $0.allSatisfy { $0 >= 0 } } ?? true,
                     "weights must be \(count) non-negative values")
        self.coordinates = coordinates
        self.features = features
        self.featureCount = featureCount
        self.weights = weights ?? [Double](repeating: 1, count: count)
    }

    /// Number of points.
    public var count: Int { coordinates.count / 2 }

    /// The weighted centroid (the plain one when all weights are 0).
    public var centroid: (x: Double, y: Double) {
        var total = weights.reduce(0, +)
        let w = total > 0 ? weights : [Double](repeating: 1, count: count)
        if total <= 0 { total = Double(count) }
        var x = 0.0, y = 0.0
        for i in 0..<count {
            x += w[i] * coordinates[2 * i]
            y += w[i] * coordinates[2 * i + 1]
        }
        return (x / max(total, 1e-300), y / max(total, 1e-300))
    }

    /// The points moved by the linear map [[a, b], [c, d]] about `centre` (features and weights
    /// kept): p ↦ centre + M (p − centre).
    public func transformed(by matrix: (a: Double, b: Double, c: Double, d: Double),
                            about centre: (x: Double, y: Double) = (0, 0)) -> PointSet {
        var result = self
        for i in 0..<count {
            let x = coordinates[2 * i] - centre.x, y = coordinates[2 * i + 1] - centre.y
            result.coordinates[2 * i] = centre.x + matrix.a * x + matrix.b * y
            result.coordinates[2 * i + 1] = centre.y + matrix.c * x + matrix.d * y
        }
        return result
    }

    /// The points turned by `angle` radians counter-clockwise (in x-right, y-up axes) about
    /// `centre`, first mirrored (x ↦ −x about the centre) when `mirrored`: R_θ F^m.
    public func rotated(by angle: Double, mirrored: Bool = false,
                        about centre: (x: Double, y: Double) = (0, 0)) -> PointSet {
        let (c, s) = (cos(angle), sin(angle))
        let flip = mirrored ? -1.0 : 1.0
        return transformed(by: (c * flip, -s, s * flip, c), about: centre)
    }

    /// The points in the order `order` (a permutation of 0..<N).
    public func permuted(_ order: [Int]) -> PointSet {
        precondition(order.sorted() == Array(0..<count), "not a permutation of 0..<\(count)")
        let f = featureCount
        return PointSet(coordinates: order.flatMap {
                            [coordinates[2 * $0], coordinates[2 * $0 + 1]]
                        },
                        features: order.flatMap { Array(features[($0 * f)..<($0 * f + f)]) },
                        featureCount: f, weights: order.map { weights[$0] })
    }
}
