import Foundation
import TensorCore

/// Point sets taken from one gray plane of a scan, for the continuous canonicalizer.
///
/// Coordinates: x = column, y = −row (pixel centres, y up), so that a counter-clockwise turn of
/// the scan on screen (`PlaneRotation`) turns the points counter-clockwise about the same centre
/// and the angle of the frame is the scan's angle.
public enum ScanKeypoints {
    /// Feature channels of `intensityKeypoints`: the cell's intensity.
    public static let intensityFeatureCount = 1
    /// Feature channels of `objectKeypoints`: relative size √(area / mean area) and mean
    /// intensity.
    public static let objectFeatureCount = 2

    /// Intensity-weighted keypoints: the centred square of side min(H, W) is averaged down to
    /// `grid` × `grid` cells (antialiased), intensities are mapped to [0, 1] by `normalize`, and
    /// every cell whose centre lies in the inscribed disc becomes a point at that centre with
    /// its intensity as feature and as centroid weight. The disc keeps the set the same, up to
    /// resampling, when the scan turns by any angle about its centre.
    public static func intensityKeypoints(plane: [Float], height: Int, width: Int, grid: Int,
                                          normalize: ([Float]) -> [Float] = IntensityMapping.minMax)
        -> PointSet {
        precondition(plane.count == height * width && grid >= 2,
                     "a \(height)×\(width) plane and a grid ≥ 2 are needed")
        let cells = normalize(centredSquare(plane: plane, height: height, width: width,
                                            size: grid))
        let side = min(height, width)
        let top = (height - side) / 2, left = (width - side) / 2
        let cell = Double(side) / Double(grid)
        let radius = Double(grid) / 2
        var coordinates: [Double] = [], features: [Float] = [], pointWeights: [Double] = []
        for a in 0..<grid {
            for b in 0..<grid {
                let dy = Double(a) + 0.5 - radius, dx = Double(b) + 0.5 - radius
                guard dx * dx + dy * dy <= radius * radius else { continue }
                let row = Double(top) + (Double(a) + 0.5) * cell - 0.5
                let col = Double(left) + (Double(b) + 0.5) * cell - 0.5
                let value = max(0, cells[a * grid + b])
                coordinates += [col, -row]
                features.append(value)
                pointWeights.append(Double(value))
            }
        }
        return PointSet(coordinates: coordinates, features: features,
                        featureCount: intensityFeatureCount, weights: pointWeights)
    }

    /// The centred square of side min(H, W) of a plane, averaged down (or up) to
    /// `size` × `size` samples with the antialiased resize of `ScorerPreprocessing`.
    public static func centredSquare(plane: [Float], height: Int, width: Int, size: Int)
        -> [Float] {
        let side = min(height, width)
        let top = (height - side) / 2, left = (width - side) / 2
        var square = [Float](repeating: 0, count: side * side)  // (side, side)
        for r in 0..<side {
            for c in 0..<side { square[r * side + c] = plane[(top + r) * width + left + c] }
        }
        let weights = ScorerPreprocessing.resizeWeights(from: side, to: size)
        return ScorerPreprocessing.resize(square, height: side, width: side, rows: weights,
                                          columns: weights)
    }

    /// One point per object of a label map (objects = connected regions of equal non-zero
    /// label, 4-connected, so touching nuclei of an instance map stay apart): the object's
    /// centroid, its relative size and mean intensity (of `intensities`, mapped to [0, 1] by
    /// min–max over the objects; 0 without intensities) as features, its area as weight.
    /// Objects smaller than `minimumArea` pixels are dropped.
    public static func objectKeypoints(labels: [Int32], height: Int, width: Int,
                                       intensities: [Float]? = nil, minimumArea: Int = 1)
        -> PointSet {
        precondition(labels.count == height * width
                     && (intensities?.count ?? labels.count) == labels.count,
                     "labels (and intensities) must hold \(height)×\(width) values")
        var component = [Int32](repeating: -1, count: labels.count)
        var objects: [(area: Int, row: Double, col: Double, sum: Double)] = []
        var stack: [Int] = []
        for start in 0..<labels.count where labels[start] != 0 && component[start] < 0 {
            let label = labels[start], id = Int32(objects.count)
            var object = (area: 0, row: 0.0, col: 0.0, sum: 0.0)
            component[start] = id
            stack.append(start)
            while let p = stack.popLast() {
                let (r, c) = (p / width, p % width)
                object.area += 1
                object.row += Double(r)
                object.col += Double(c)
                object.sum += Double(intensities?[p] ?? 0)
                for (nr, nc) in [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
                where nr >= 0 && nr < height && nc >= 0 && nc < width {
                    let q = nr * width + nc
                    if labels[q] == label && component[q] < 0 {
                        component[q] = id
                        stack.append(q)
                    }
                }
            }
            objects.append(object)
        }
        let kept = objects.filter { $0.area >= minimumArea }
        let meanArea = kept.isEmpty ? 1
            : Double(kept.reduce(0) { $0 + $1.area }) / Double(kept.count)
        let means = kept.map { Float($0.sum / Double($0.area)) }
        let scaled = intensities == nil ? means : IntensityMapping.minMax(means)
        var coordinates: [Double] = [], features: [Float] = []
        for (object, intensity) in zip(kept, scaled) {
            let area = Double(object.area)
            coordinates += [object.col / area, -object.row / area]
            features += [Float((area / meanArea).squareRoot()), intensity]
        }
        return PointSet(coordinates: coordinates, features: features,
                        featureCount: objectFeatureCount, weights: kept.map { Double($0.area) })
    }
}
