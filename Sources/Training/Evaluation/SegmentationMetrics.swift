import ImageCodecs
import ModelRuntime
import SafeFiles
import StrictJSON
import TensorCore

/// Overlap and boundary-distance scores of label maps.
///
/// Conventions:
/// - Per case and label: Dice = 2|P∩T| / (|P| + |T|), IoU = |P∩T| / |P∪T|. When the label is
///   absent from both prediction and truth the case has no value for it (nil) and is left out
///   of that label's mean, as nnU-Net does.
/// - HD95 (pixels, or mm when every case's pixel size is given): the larger of the two
///   directed 95th percentiles (linear interpolation) of Euclidean distances from each
///   boundary pixel of one mask to the nearest boundary pixel of the other (MedPy's `hd95`). A boundary pixel is a mask pixel with a 4-neighbour outside the
///   mask or outside the image. Both masks empty: nil. Exactly one empty: the image diagonal,
///   the largest distance possible, so a missed structure is penalised instead of ignored.
/// - `hd95Pixels` is the same distance in pixels, whatever the unit of `hd95` (so that a report
///   in mm can give pixels beside it).
/// - `meanDice`, `meanIoU`, `meanHD95`, `meanHD95Pixels` average over labels 1..<K: label 0 is
///   the background. With two labels this is the foreground score. Each is nil when no case defines it.
public struct SegmentationMetrics: Sendable, Equatable, Codable {
    public struct PerLabel: Sendable, Equatable, Codable {
        public var name: String
        /// Mean over the cases where the value is defined; nil when it is defined for none.
        public var dice: Double?
        public var iou: Double?
        public var hd95: Double?
        /// HD95 in pixels (equal to `hd95` when that is in pixels).
        public var hd95Pixels: Double?
        /// Pixels of this label in the truth, over all cases.
        public var truthPixels: Int
    }

    public var cases: Int
    public var meanDice: Double?
    public var meanIoU: Double?
    public var meanHD95: Double?
    /// `meanHD95` in pixels.
    public var meanHD95Pixels: Double?
    /// Unit of the HD95 values: "mm" when every case's pixel size was known, else "px".
    public var hd95Unit: String
    /// Fraction of all pixels labelled correctly.
    public var pixelAccuracy: Double
    public var perLabel: [PerLabel]
    /// Each case's own figures, from which the others are means (not written to reports;
    /// kept for resampling the cases, as the bootstrap does).
    public var perCase: [CaseFigures] = []

    /// Per-case scores of one label: nil where undefined.
    public struct CaseScores: Sendable, Equatable {
        public var dice: Double?
        public var iou: Double?
        public var hd95: Double?
        /// HD95 in pixels (equal to `hd95` without a pixel size).
        public var hd95Pixels: Double?
    }

    /// The figures of one case: scores per label, and pixel counts.
    public struct CaseFigures: Sendable, Equatable {
        /// One entry per label.
        public var scores: [CaseScores]
        /// Pixels whose predicted label is the true one.
        public var correctPixels: Int
        /// Pixels of each label in the truth.
        public var truthPixels: [Int]
    }

    enum CodingKeys: String, CodingKey {
        case cases, meanDice, meanIoU, meanHD95, meanHD95Pixels, hd95Unit, pixelAccuracy,
             perLabel
    }

    /// Computes the metrics over `cases`, each a predicted and a true label map of the same
    /// size (`width × height`, row-major, values in 0..<labelNames.count). `pixelSizes`, one
    /// per case in mm on the maps' grid, puts HD95 in mm when none is nil.
    public init(cases: [(predicted: [Int], truth: [Int], width: Int, height: Int)],
                labelNames: [String], hausdorff: Bool = true, pixelSizes: [PixelSize?]? = nil) {
        precondition(pixelSizes == nil || pixelSizes?.count == cases.count,
                     "one pixel size per case")
        let known = pixelSizes.map { $0.compactMap { $0 } } ?? []
        let inMM = !cases.isEmpty && known.count == cases.count
        let k = labelNames.count
        let figures = cases.enumerated().map { n, item -> CaseFigures in
            let scores = (0..<k).map { label in
                Self.scores(predicted: item.predicted, truth: item.truth, width: item.width,
                            height: item.height, label: label, hausdorff: hausdorff,
                            pixelSize: inMM ? known[n] : nil)
            }
            var truthPixels = [Int](repeating: 0, count: k)
            var correct = 0
            for (p, t) in zip(item.predicted, item.truth) {
                truthPixels[t] += 1
                if p == t { correct += 1 }
            }
            return CaseFigures(scores: scores, correctPixels: correct, truthPixels: truthPixels)
        }
        self.init(figures: figures, labelNames: labelNames, hd95Unit: inMM ? "mm" : "px")
    }

    /// The metrics of cases whose figures are known (the cases of another set, or a resample
    /// of them with repeats).
    public init(figures: [CaseFigures], labelNames: [String], hd95Unit: String) {
        let k = labelNames.count
        precondition(figures.allSatisfy { $0.scores.count == k && $0.truthPixels.count == k },
                     "every case needs figures for the \(k) labels")
        func mean(_ xs: [Double]) -> Double? {
            xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
        }
        perLabel = (0..<k).map { label in
            PerLabel(name: labelNames[label],
                     dice: mean(figures.compactMap { $0.scores[label].dice }),
                     iou: mean(figures.compactMap { $0.scores[label].iou }),
                     hd95: mean(figures.compactMap { $0.scores[label].hd95 }),
                     hd95Pixels: mean(figures.compactMap { $0.scores[label].hd95Pixels }),
                     truthPixels: figures.reduce(0) { $0 + $1.truthPixels[label] })
        }
        let foreground = k > 1 ? Array(perLabel[1...]) : perLabel
        let total = figures.reduce(0) { $0 + $1.truthPixels.reduce(0, +) }
        let correct = figures.reduce(0) { $0 + $1.correctPixels }
        self.cases = figures.count
        meanDice = mean(foreground.compactMap(\.dice))
        meanIoU = mean(foreground.compactMap(\.iou))
        meanHD95 = mean(foreground.compactMap(\.hd95))
        meanHD95Pixels = mean(foreground.compactMap(\.hd95Pixels))
        self.hd95Unit = hd95Unit
        pixelAccuracy = total == 0 ? 0 : Double(correct) / Double(total)
        perCase = figures
    }

    /// Dice, IoU and HD95 of one label in one case.
    /// `hausdorff: false` skips HD95 (nil), for quick validation during training; with
    /// `pixelSize` HD95 is in mm, else in pixels.
    public static func scores(predicted: [Int], truth: [Int], width: Int, height: Int,
                              label: Int, hausdorff: Bool = true,
                              pixelSize: PixelSize? = nil) -> CaseScores {
        precondition(predicted.count == width * height && truth.count == width * height,
                     "label maps must hold width × height = \(width * height) values")
        let p = predicted.map { $0 == label }
        let t = truth.map { $0 == label }
        var intersection = 0
        var pCount = 0
        var tCount = 0
        for i in 0..<p.count {
            if p[i] { pCount += 1 }
            if t[i] { tCount += 1 }
            if p[i] && t[i] { intersection += 1 }
        }
        if pCount == 0 && tCount == 0 {
            return CaseScores(dice: nil, iou: nil, hd95: nil, hd95Pixels: nil)
        }
        let dice = 2 * Double(intersection) / Double(pCount + tCount)
        let iou = Double(intersection) / Double(pCount + tCount - intersection)
        guard hausdorff else {
            return CaseScores(dice: dice, iou: iou, hd95: nil, hd95Pixels: nil)
        }
        let pixels = hausdorff95(p, t, width: width, height: height)
        let hd95 = pixelSize == nil ? pixels
            : hausdorff95(p, t, width: width, height: height, pixelSize: pixelSize)
        return CaseScores(dice: dice, iou: iou, hd95: hd95, hd95Pixels: pixels)
    }

    /// Symmetric 95th-percentile Hausdorff distance (conventions above): in pixels, or in mm
    /// with `pixelSize` (which may differ between x and y).
    public static func hausdorff95(_ a: [Bool], _ b: [Bool], width: Int, height: Int,
                                   pixelSize: PixelSize? = nil) -> Double? {
        let (sx, sy) = (pixelSize?.x ?? 1, pixelSize?.y ?? 1)
        let boundaryA = boundary(a, width: width, height: height)
        let boundaryB = boundary(b, width: width, height: height)
        if boundaryA.isEmpty && boundaryB.isEmpty { return nil }
        if boundaryA.isEmpty || boundaryB.isEmpty {
            let w = Double(width) * sx
            let h = Double(height) * sy
            return (w * w + h * h).squareRoot()
        }
        let toB = squaredDistanceTransform(features: boundaryB, width: width, height: height,
                                           spacing: (sx, sy))
        let toA = squaredDistanceTransform(features: boundaryA, width: width, height: height,
                                           spacing: (sx, sy))
        let dAB = boundaryA.map { toB[$0].squareRoot() }
        let dBA = boundaryB.map { toA[$0].squareRoot() }
        return max(Statistics.percentile(sorted: dAB.sorted(), 95),
                   Statistics.percentile(sorted: dBA.sorted(), 95))
    }

    /// Flat indices of the mask's boundary pixels.
    static func boundary(_ mask: [Bool], width: Int, height: Int) -> [Int] {
        var result: [Int] = []
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                let inside = { (xx: Int, yy: Int) -> Bool in
                    xx >= 0 && yy >= 0 && xx < width && yy < height && mask[yy * width + xx]
                }
                if !inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1)
                    || !inside(x, y + 1) {
                    result.append(y * width + x)
                }
            }
        }
        return result
    }

    /// Exact squared Euclidean distance from every pixel to the nearest feature pixel, by the
    /// separable lower-envelope algorithm of Felzenszwalb and Huttenlocher (2012), O(W·H);
    /// `spacing` is the distance between neighbouring pixels along x and y (1 = pixels).
    static func squaredDistanceTransform(features: [Int], width: Int, height: Int,
                                         spacing: (x: Double, y: Double) = (1, 1)) -> [Double] {
        let w = Double(width) * spacing.x
        let h = Double(height) * spacing.y
        let infinity = w * w + h * h + 1
        var grid = [Double](repeating: infinity, count: width * height)
        for f in features { grid[f] = 0 }
        // Columns, then rows.
        var column = [Double](repeating: 0, count: height)
        for x in 0..<width {
            for y in 0..<height { column[y] = grid[y * width + x] }
            let d = distance1D(column, infinity: infinity, spacing: spacing.y)
            for y in 0..<height { grid[y * width + x] = d[y] }
        }
        for y in 0..<height {
            let d = distance1D(Array(grid[(y * width)..<(y * width + width)]), infinity: infinity,
                               spacing: spacing.x)
            for x in 0..<width { grid[y * width + x] = d[x] }
        }
        return grid
    }

    /// 1-D squared distance transform of sampled function f (lower envelope of parabolas
    /// (s·(q - p))² + f(p), samples `spacing` = s apart).
    static func distance1D(_ f: [Double], infinity: Double, spacing: Double = 1) -> [Double] {
        let s2 = spacing * spacing
        let n = f.count
        var result = [Double](repeating: infinity, count: n)
        var v = [Int](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n + 1)
        var k = -1
        for q in 0..<n where f[q] < infinity {
            if k < 0 {
                k = 0
                v[0] = q
                z[0] = -Double.infinity
                z[1] = Double.infinity
                continue
            }
            var s: Double
            repeat {
                let p = v[k]
                s = ((f[q] + s2 * Double(q * q)) - (f[p] + s2 * Double(p * p)))
                    / (2 * s2 * Double(q - p))
                if s <= z[k] { k -= 1 } else { break }
            } while k >= 0
            k += 1
            v[k] = q
            z[k] = k == 0 ? -Double.infinity : s
            z[k + 1] = Double.infinity
        }
        guard k >= 0 else { return result }
        var j = 0
        for q in 0..<n {
            while z[j + 1] < Double(q) { j += 1 }
            let dq = Double(q - v[j])
            result[q] = s2 * dq * dq + f[v[j]]
        }
        return result
    }
}
