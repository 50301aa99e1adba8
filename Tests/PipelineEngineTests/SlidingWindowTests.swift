import Foundation
import ModelRuntime
import PipelineEngine
import TensorCore
import XCTest
import _TestSupport

/// Sliding-window inference: window placement and counts by hand, exact tiling with pointwise
/// models (blending is a partition of unity), and the Gaussian blend of two windows by hand.
final class SlidingWindowTests: XCTestCase {
    typealias G = TransformGrids

    /// Logits (x, −x) per pixel of a one-channel batch: a model that sees single pixels only.
    static func pointwise(_ input: Tensor) -> Tensor {
        let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
        var logits = [Float](repeating: 0, count: n * 2 * h * w)
        for b in 0..<n {
            for i in 0..<(h * w) {
                logits[(b * 2) * h * w + i] = input.storage[b * h * w + i]
                logits[(b * 2 + 1) * h * w + i] = -input.storage[b * h * w + i]
            }
        }
        return Tensor(shape: [n, 2, h, w], storage: logits)
    }

    static func image(width: Int, height: Int, seed: UInt64) -> ImagePlanes {
        var generator = SeededGenerator(seed: seed)
        return ImagePlanes(channels: 1, width: width, height: height,
                           values: (0..<(width * height)).map { _ in generator.nextGaussian() })
    }

    /// The pointwise model gives the pointwise softmax exactly, on images smaller than the
    /// window, equal to it, and not multiples of the stride, at overlaps 0, 0.25 and 0.5.
    func testPointwiseModelTilesExactly() {
        let sizes = [(3, 2), (4, 4), (10, 7), (7, 10), (17, 5), (1, 1), (4, 9)]
        for (seed, (width, height)) in sizes.enumerated() {
            let image = Self.image(width: width, height: height, seed: UInt64(seed))
            let logits = ImagePlanes(channels: 2, width: width, height: height,
                                     values: image.values + image.values.map { -$0 })
            let expected = StageTransforms.softmax(channels: logits)
            // Independent of the library's softmax: p₀ = 1 / (1 + e^{−2x}).
            let direct = image.values.map { Float(1 / (1 + exp(-2 * Double($0)))) }
                + image.values.map { Float(1 / (1 + exp(2 * Double($0)))) }
            for overlap in [0, 0.25, 0.5] {
                let result = SlidingWindow.infer(image, window: (width: 4, height: 4),
                                                 overlap: overlap, labels: 2,
                                                 predict: Self.pointwise)
                let name = "\(width)×\(height), overlap \(overlap)"
                XCTAssertEqual(result, expected, name)
                let report = Discrepancy(actual: result.values, expected: direct,
                                         absolute: 1e-6, relative: 0)
                XCTAssertLessThanOrEqual(report.worstExcess, 0, "\(name): \(report)")
            }
        }
    }

    /// Two input channels and three labels, pointwise: logits (a + b, a − b, 0).
    func testPointwiseModelWithSeveralChannels() {
        var generator = SeededGenerator(seed: 3)
        let (width, height) = (9, 6)
        let values = (0..<(2 * width * height)).map { _ in generator.nextGaussian() }
        let image = ImagePlanes(channels: 2, width: width, height: height, values: values)
        let plane = width * height
        let logits = ImagePlanes(channels: 3, width: width, height: height,
                                 values: (0..<plane).map { values[$0] + values[plane + $0] }
                                     + (0..<plane).map { values[$0] - values[plane + $0] }
                                     + [Float](repeating: 0, count: plane))
        let result = SlidingWindow.infer(image, window: (width: 4, height: 3), overlap: 0.5,
                                         labels: 3) { input in
            let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
            let p = h * w
            var out = [Float](repeating: 0, count: n * 3 * p)
            for b in 0..<n {
                for i in 0..<p {
                    let a = input.storage[(b * 2) * p + i]
                    let c = input.storage[(b * 2 + 1) * p + i]
                    out[(b * 3) * p + i] = a + c
                    out[(b * 3 + 1) * p + i] = a - c
                }
            }
            return Tensor(shape: [n, 3, h, w], storage: out)
        }
        XCTAssertEqual(result, StageTransforms.softmax(channels: logits))
    }

    /// A 10 × 7 image, 4 × 4 windows, overlap 0.5: stride 2, columns start at 0, 2, 4 and the
    /// edge-aligned 6; rows at 0, 2 and 3: 12 windows in row-major order, batched 8 + 4.
    func testWindowPlacementAndCountByHand() {
        var origins: [[Int]] = []
        var batches: [Int] = []
        let image = ImagePlanes(channels: 1, width: 10, height: 7,
                                values: (0..<70).map { Float(100 * ($0 / 10) + $0 % 10) })
        _ = SlidingWindow.infer(image, window: (width: 4, height: 4), overlap: 0.5,
                                labels: 2) { input in
            batches.append(input.shape[0])
            for b in 0..<input.shape[0] {
                let corner = Int(input.storage[b * 16])
                origins.append([corner % 100, corner / 100])
            }
            return Self.pointwise(input)
        }
        XCTAssertEqual(batches, [8, 4])
        XCTAssertEqual(origins, [[0, 0], [2, 0], [4, 0], [6, 0], [0, 2], [2, 2], [4, 2], [6, 2],
                                 [0, 3], [2, 3], [4, 3], [6, 3]])
    }

    /// Overlap 0 on the same image: stride 4, columns 0, 4, 6; rows 0, 3: 6 windows.
    func testWindowCountWithoutOverlap() {
        var count = 0
        _ = SlidingWindow.infer(Self.image(width: 10, height: 7, seed: 1),
                                window: (width: 4, height: 4), overlap: 0, labels: 2) { input in
            count += input.shape[0]
            return Self.pointwise(input)
        }
        XCTAssertEqual(count, 6)
        XCTAssertEqual(SlidingWindow.windowStarts(extent: 10, window: 4, overlap: 0), [0, 4, 6])
        XCTAssertEqual(SlidingWindow.windowStarts(extent: 10, window: 4, overlap: 0.25),
                       [0, 3, 6])
        XCTAssertEqual(SlidingWindow.windowStarts(extent: 4, window: 4, overlap: 0.5), [0])
        XCTAssertEqual(SlidingWindow.windowStarts(extent: 5, window: 3, overlap: 0.9),
                       [0, 1, 2])
    }

    /// An image smaller than the window is padded symmetrically with zeros: a 2 × 1 image in a
    /// 4 × 3 window sits at column 1, row 1.
    func testSmallImageIsPaddedSymmetricallyAndCroppedBack() {
        var seen: [Float] = []
        let image = G.planes([[5, 6]])
        let result = SlidingWindow.infer(image, window: (width: 4, height: 3), overlap: 0.25,
                                         labels: 2) { input in
            seen = input.storage
            XCTAssertEqual(input.shape, [1, 1, 3, 4])
            return Self.pointwise(input)
        }
        XCTAssertEqual(seen, [0, 0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0])
        XCTAssertEqual([result.channels, result.width, result.height], [2, 2, 1])
        XCTAssertEqual(result.values[0], Float(1 / (1 + exp(-10.0))), accuracy: 1e-7)
    }

    /// Two 4 × 1 windows over a 6 × 1 image (overlap 0.5: starts 0 and 2), each predicting one
    /// probability everywhere: p_A = 1/2 from its corner value 0, p_B = σ(2) from its corner 2.
    /// The Gaussian over 4 pixels (σ = 0.5, centre 1.5, peak 1) weighs them e^{−4}, 1, 1, e^{−4};
    /// pixel 2 gets (1 · p_A + e^{−4} · p_B) / (1 + e^{−4}) and pixel 3 the mirror image.
    func testGaussianBlendOfTwoWindowsByHand() {
        let image = G.planes([[0, 1, 2, 3, 4, 5]])
        let result = SlidingWindow.infer(image, window: (width: 4, height: 1), overlap: 0.5,
                                         labels: 2) { input in
            let n = input.shape[0]
            var out = [Float](repeating: 0, count: n * 8)
            for b in 0..<n {
                for i in 0..<4 { out[b * 8 + 4 + i] = input.storage[b * 4] }
            }
            return Tensor(shape: [n, 2, 1, 4], storage: out)
        }
        let (pA, pB) = (0.5, 1 / (1 + exp(-2.0)))
        let edge = exp(-4.0)
        let expected = [pA, pA, (pA + edge * pB) / (1 + edge), (edge * pA + pB) / (edge + 1),
                        pB, pB]
        let report = Discrepancy(actual: Array(result.values[6..<12]),
                                 expected: expected.map { Float($0) }, absolute: 1e-6,
                                 relative: 0)
        XCTAssertLessThanOrEqual(report.worstExcess, 0, "\(report)")
    }

    /// The map peaks at 1 in the middle, is symmetric under transposition and flips, and is
    /// raised to 10⁻³ in the corners of a large window.
    func testImportanceMapShapeAndFloor() {
        let side = 64
        let map = SlidingWindow.importanceMap(width: side, height: side)
        XCTAssertEqual(map[0], 1e-3)
        XCTAssertEqual(map.max(), 1)
        for y in 0..<side {
            for x in 0..<side {
                XCTAssertEqual(map[y * side + x], map[x * side + y])
                XCTAssertEqual(map[y * side + x], map[y * side + side - 1 - x])
            }
        }
        let odd = SlidingWindow.importanceMap(width: 5, height: 1)
        XCTAssertEqual(odd[2], 1)
        XCTAssertEqual(odd[0], exp(-4 / (2 * 0.625 * 0.625)), accuracy: 1e-15)
    }

    struct Refused: Error {}

    func testPredictErrorsPropagate() {
        XCTAssertThrowsError(try SlidingWindow.infer(G.planes([[1]]), window: (width: 2, height: 2),
                                                     overlap: 0, labels: 2) { _ in
            throw Refused()
        }) { XCTAssertTrue($0 is Refused) }
    }
}
