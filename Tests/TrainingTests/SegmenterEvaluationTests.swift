import Foundation
import ImageCodecs
import TensorCore
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// What segmenters are judged by: HD95 in mm against a brute-force reference, splits that keep
/// runs of neighbouring slices together, and D4-averaged figures equal to the upright ones.
final class SegmenterEvaluationTests: XCTestCase {
    /// HD95 the slow way: boundary pixels found by looking at the four neighbours, every
    /// boundary-to-boundary distance measured, each direction's 95th percentile interpolated
    /// linearly between the sorted distances, the larger direction kept.
    func bruteForceHD95(_ a: [Bool], _ b: [Bool], width: Int, height: Int, sx: Double,
                        sy: Double) -> Double {
        func boundary(_ m: [Bool]) -> [(Int, Int)] {
            var points: [(Int, Int)] = []
            for y in 0..<height {
                for x in 0..<width where m[y * width + x] {
                    let neighbours = [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                    let edge = neighbours.contains { (u, v) in
                        u < 0 || v < 0 || u >= width || v >= height || !m[v * width + u]
                    }
                    if edge { points.append((x, y)) }
                }
            }
            return points
        }
        func directed(_ from: [(Int, Int)], _ to: [(Int, Int)]) -> Double {
            var distances: [Double] = []
            for (x, y) in from {
                var best = Double.infinity
                for (u, v) in to {
                    let dx = Double(x - u) * sx
                    let dy = Double(y - v) * sy
                    best = min(best, (dx * dx + dy * dy).squareRoot())
                }
                distances.append(best)
            }
            distances.sort()
            let position = 0.95 * Double(distances.count - 1)
            let low = Int(position.rounded(.down))
            let high = min(low + 1, distances.count - 1)
            let fraction = position - Double(low)
            return distances[low] + fraction * (distances[high] - distances[low])
        }
        let (ba, bb) = (boundary(a), boundary(b))
        return max(directed(ba, bb), directed(bb, ba))
    }

    /// Hand-made masks on a 13 × 9 grid with anisotropic pixels (0.3 mm across, 1.7 mm down):
    /// the fast transform matches the brute force in mm and in pixels, `scores` gives both,
    /// and two single pixels 3 columns and 2 rows apart are √(0.9² + 3.4²) mm apart.
    func testHD95InMillimetresMatchesBruteForceWithAnisotropicPixels() {
        let (w, h) = (13, 9)
        var a = [Bool](repeating: false, count: w * h)
        var b = a
        for y in 1..<6 { for x in 2..<9 { a[y * w + x] = true } }
        a[8 * w + 12] = true
        for y in 0..<h {
            for x in 0..<w {
                let (dx, dy) = (Double(x) - 6.5, Double(y) - 5.0)
                if dx * dx / 16 + dy * dy / 6 <= 1 { b[y * w + x] = true }
            }
        }
        b[0] = true
        let size = PixelSize(x: 0.3, y: 1.7)
        let expectedMM = bruteForceHD95(a, b, width: w, height: h, sx: 0.3, sy: 1.7)
        let expectedPixels = bruteForceHD95(a, b, width: w, height: h, sx: 1, sy: 1)
        XCTAssertNotEqual(expectedMM, expectedPixels * 0.3, accuracy: 1e-6, "anisotropy matters")
        let mm = SegmentationMetrics.hausdorff95(a, b, width: w, height: h, pixelSize: size)
        XCTAssertEqual(mm ?? -1, expectedMM, accuracy: 1e-9)
        let pixels = SegmentationMetrics.hausdorff95(a, b, width: w, height: h)
        XCTAssertEqual(pixels ?? -1, expectedPixels, accuracy: 1e-9)
        let labels: ([Bool]) -> [Int] = { $0.map { $0 ? 1 : 0 } }
        let scores = SegmentationMetrics.scores(predicted: labels(a), truth: labels(b), width: w,
                                                height: h, label: 1, pixelSize: size)
        XCTAssertEqual(scores.hd95 ?? -1, expectedMM, accuracy: 1e-9)
        XCTAssertEqual(scores.hd95Pixels ?? -1, expectedPixels, accuracy: 1e-9)

        var p = [Bool](repeating: false, count: w * h)
        var q = p
        p[2 * w + 1] = true
        q[4 * w + 4] = true
        let single = SegmentationMetrics.hausdorff95(p, q, width: w, height: h, pixelSize: size)
        XCTAssertEqual(single ?? -1, (0.9 * 0.9 + 3.4 * 3.4).squareRoot(), accuracy: 1e-12)
        let metrics = SegmentationMetrics(
            cases: [(labels(p), labels(q), w, h)], labelNames: ["background", "spot"],
            pixelSizes: [size])
        XCTAssertEqual(metrics.hd95Unit, "mm")
        XCTAssertEqual(metrics.meanHD95 ?? -1, (0.9 * 0.9 + 3.4 * 3.4).squareRoot(),
                       accuracy: 1e-12)
        XCTAssertEqual(metrics.meanHD95Pixels ?? -1, 13.0.squareRoot(), accuracy: 1e-12)
    }

    func segmentationConfig(_ data: String) throws -> TrainingConfig {
        try TrainingConfig.parse("""
        {"name": "blocks", "task": "segmentation", "seed": 3,
         "data": {"train": "seg", "labels": [{"name": "background", "value": 0},
                                             {"name": "square", "value": 255}]\(data)},
         "input": {"width": 16, "height": 16, "channels": 1},
         "model": {"kind": "unet", "group": "D4", "width": 2, "depth": 1},
         "augmentation": {"groupElements": true, "flips": true},
         "training": {"epochs": 1, "batchSize": 4,
                      "optimizer": {"kind": "adam", "learningRate": 0.01}}}
        """)
    }

    /// 24 numbered slices in runs of 4 (`groupBlock`): every run lies in one part, each
    /// held-out part is exactly one run, and `splitSeed` keeps the parts when the seed changes.
    func testGroupBlockKeepsRunsOfNeighbouringSlicesInOnePart() throws {
        let root = temporaryFolder(prefix: "equiscan-blocks")
        let names = (0..<24).map { String(format: "%02d.png", $0) }
        try touchEmptyFiles("\(root)/seg/images", names)
        try touchEmptyFiles("\(root)/seg/labels", names)
        let extra = #", "testFraction": 0.17, "validationFraction": 0.17, "#
            + #""groupPattern": "^(\\d+)\\.png$", "groupBlock": 4"#
        let spec = try segmentationConfig(extra).data
        XCTAssertEqual(spec.groupBlock, 4)
        func runs(_ index: DatasetIndex) -> Set<Int> {
            Set(index.cases.compactMap {
                Int(($0.image as NSString).lastPathComponent.prefix(2)).map { $0 / 4 }
            })
        }
        var tests: Set<Set<Int>> = []
        for seed: UInt64 in 1...6 {
            let split = try DatasetIndex.load(spec, task: .segmentation, dataRoot: root,
                                              seed: seed)
            let parts = [split.train, split.validation, split.test].map(runs)
            XCTAssertEqual(split.validation.cases.count, 4, "seed \(seed)")
            XCTAssertEqual(split.test.cases.count, 4, "seed \(seed)")
            XCTAssertEqual(split.train.cases.count, 16, "seed \(seed)")
            XCTAssertEqual(parts[1].count, 1, "seed \(seed): validation runs \(parts[1])")
            XCTAssertEqual(parts[2].count, 1, "seed \(seed): test runs \(parts[2])")
            XCTAssertTrue(parts[0].isDisjoint(with: parts[1].union(parts[2])), "seed \(seed)")
            XCTAssertNotEqual(parts[1], parts[2])
            tests.insert(parts[2])
        }
        XCTAssertGreaterThan(tests.count, 1, "the seed should move the test run")
        // Without the block every slice is its own source and the 4 test slices scatter.
        var loose = spec
        loose.groupBlock = nil
        let scattered = try (1...6).map { seed in
            runs(try DatasetIndex.load(loose, task: .segmentation, dataRoot: root,
                                       seed: UInt64(seed)).test).count
        }
        XCTAssertGreaterThan(scattered.max() ?? 0, 1, "\(scattered)")

        let fixed = try segmentationConfig(extra + #", "splitSeed": 5"#)
        XCTAssertEqual(fixed.data.splitSeed, 5)
        XCTAssertEqual(try DatasetIndex.load(fixed.data, task: .segmentation, dataRoot: root,
                                             seed: fixed.data.splitSeed ?? fixed.seed),
                       try DatasetIndex.load(spec, task: .segmentation, dataRoot: root, seed: 5))
    }

    /// `groupBlock` needs a pattern, `pixelSpacing` two sizes above 0 and segmentation data.
    func testGroupBlockAndPixelSpacingAreValidated() throws {
        XCTAssertThrowsError(try segmentationConfig(#", "groupBlock": 4"#)) {
            XCTAssertTrue("\($0)".contains("/data/groupBlock needs a \"groupPattern\""), "\($0)")
        }
        XCTAssertThrowsError(try segmentationConfig(#", "pixelSpacing": [1, 0]"#)) {
            XCTAssertTrue("\($0)".contains("/data/pixelSpacing/1"), "\($0)")
        }
        XCTAssertThrowsError(try segmentationConfig(#", "pixelSpacing": [1]"#))
        XCTAssertEqual(try segmentationConfig(#", "pixelSpacing": [0.5, 0.25]"#).data
                        .pixelSpacing, [0.5, 0.25])
    }

    /// A D4 U-Net trained for one epoch (as good as random) on 10 scans with anisotropic
    /// pixels given in the config: the package records the spacing on its input grid,
    /// `evaluate` reports HD95 in mm beside pixels and per-label Dice, and, the model being
    /// exactly equivariant, every figure under each of the 8 poses and so the D4 average
    /// equal the upright ones.
    func testD4AveragedMetricsEqualUprightOnesForARandomUNet() throws {
        let root = temporaryFolder(prefix: "equiscan-d4-metrics")
        var generator = SeededGenerator(seed: 21)
        try TrainingFixtures.writeSegmentationSet(root: root, count: 10,
                                                  generator: &generator) { x, y, x0, y0 in
            x >= x0 && x < x0 + 6 && y >= y0 && y < y0 + 3 + x / 4
        }
        let config = try segmentationConfig(#", "validationFraction": 0.3, "#
                                            + #""pixelSpacing": [0.5, 0.25]"#)
        let output = "\(root)/out"
        _ = try Trainer(config: config, options: TrainingOptions(dataRoot: root, output: output))
            .run()
        let package = try ModelPackage.load(output)
        XCTAssertEqual(package.metadata.trainingData.pixelSpacing, [0.5, 0.25])
        XCTAssertEqual(package.metadata.trainingData.inputPixelSpacing, [0.5, 0.25])
        let report = try Evaluator.evaluate(package, data: "\(root)/seg", allowSeen: true)
        XCTAssertEqual(report.grid?.hd95Unit, "mm")
        XCTAssertEqual(report.perElement.count, 8)
        XCTAssertEqual(report.orbitConsistency, 1)
        let mm = try XCTUnwrap(report.metrics["meanHD95mm"] ?? nil)
        let px = try XCTUnwrap(report.metrics["meanHD95px"] ?? nil)
        XCTAssertEqual(report.metrics["meanHD95"] ?? nil, mm)
        XCTAssertNotEqual(mm, px, "mm and pixels differ at 0.5 × 0.25 mm pixels")
        XCTAssertEqual(report.perLabel?[1].hd95Pixels.map { $0 > 0 }, true)
        for name in ["background", "square"] {
            let dice = try XCTUnwrap(report.metrics["dice." + name] ?? nil, name)
            XCTAssertEqual(dice, report.perLabel?.first { $0.name == name }?.dice)
        }
        for (name, value) in report.metrics {
            let upright = try XCTUnwrap(value, name)
            for element in report.perElement {
                let turned = try XCTUnwrap(element.metrics[name] ?? nil, name)
                XCTAssertEqual(turned, upright, accuracy: 1e-9, "\(name) under \(element.element)")
            }
            let average = try XCTUnwrap(report.groupAverage[name] ?? nil, name)
            XCTAssertEqual(average, upright, accuracy: 1e-9, "D4-average of \(name)")
        }
    }
}
