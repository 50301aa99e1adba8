@testable import Canonicalization
import Foundation
import TensorCore
import XCTest
import _TestSupport

/// Arbitrary-angle plane rotation against naive references: quarter turns against the exact
/// index map, linear and quadratic ramps against their values at the rotated positions (bilinear
/// reproduces linear functions and Keys' bicubic quadratics exactly), edge indices by hand.
/// Tolerance 1e-4 on values of magnitude ≤ 100 (Float32 sums of 16 products).
final class PlaneRotationTests: XCTestCase {
    private var generator = SeededGenerator(seed: 77)

    func testQuarterTurnsEqualTheExactIndexMap() {
        let (h, w) = (7, 7)
        let plane = (0..<(h * w)).map { _ in generator.nextFloat() }
        for interpolation in RotationInterpolation.allCases {
            for edges in EdgeMode.allCases {
                let rotated = PlaneRotation(angle: .pi / 2, height: h, width: w,
                                            interpolation: interpolation, edges: edges)
                    .apply(Tensor(shape: [1, h, w], storage: plane)).storage
                // A counter-clockwise quarter turn on screen: out[i][j] = in[j][W − 1 − i].
                var worst: Float = 0
                for i in 0..<h {
                    for j in 0..<w {
                        worst = max(worst, abs(rotated[i * w + j] - plane[j * w + (w - 1 - i)]))
                    }
                }
                XCTAssertLessThan(worst, 1e-5, "\(interpolation) \(edges): worst \(worst)")
            }
        }
    }

    /// The value of f at the source point of output pixel (i, j) for a rotation by θ.
    private func sourcePoint(_ i: Int, _ j: Int, angle: Double, size: Int) -> (Double, Double) {
        let centre = Double(size - 1) / 2
        let x = Double(j) - centre, y = centre - Double(i)
        let sx = x * cos(angle) + y * sin(angle), sy = -x * sin(angle) + y * cos(angle)
        return (centre - sy, sx + centre)
    }

    func testRampsAreReproducedInside() {
        let size = 21, angle = 30 * Double.pi / 180
        let linear = { (r: Double, c: Double) in 2 * r - 3 * c + 1 }
        let quadratic = { (r: Double, c: Double) in 0.1 * r * r - 0.05 * r * c + 0.2 * c + 3 }
        for (interpolation, f) in [(RotationInterpolation.bilinear, linear),
                                   (.bicubic, linear), (.bicubic, quadratic)] {
            var plane = [Float](repeating: 0, count: size * size)
            for r in 0..<size {
                for c in 0..<size { plane[r * size + c] = Float(f(Double(r), Double(c))) }
            }
            let out = PlaneRotation(angle: angle, height: size, width: size,
                                    interpolation: interpolation, edges: .zero)
                .apply(Tensor(shape: [size, size], storage: plane)).storage
            var worst = 0.0
            for i in 0..<size {
                for j in 0..<size {
                    let (r, c) = sourcePoint(i, j, angle: angle, size: size)
                    // Keep away from the border, where taps fall outside.
                    guard r >= 2 && r <= Double(size - 3) && c >= 2 && c <= Double(size - 3)
                    else { continue }
                    worst = max(worst, abs(Double(out[i * size + j]) - f(r, c)))
                }
            }
            XCTAssertLessThan(worst, 1e-4, "\(interpolation): worst \(worst)")
        }
    }

    func testEdgeIndicesByHand() {
        XCTAssertNil(PlaneRotation.index(-1, extent: 5, edges: .zero))
        XCTAssertEqual(PlaneRotation.index(-3, extent: 5, edges: .replicate), 0)
        XCTAssertEqual(PlaneRotation.index(7, extent: 5, edges: .replicate), 4)
        // Reflect about the edge samples: …2 1 | 0 1 2 3 4 | 3 2 1 0 1…
        XCTAssertEqual(PlaneRotation.index(-1, extent: 5, edges: .reflect), 1)
        XCTAssertEqual(PlaneRotation.index(5, extent: 5, edges: .reflect), 3)
        XCTAssertEqual(PlaneRotation.index(9, extent: 5, edges: .reflect), 1)
        XCTAssertEqual(PlaneRotation.index(-6, extent: 5, edges: .reflect), 2)
        XCTAssertEqual(PlaneRotation.keys(0), 1)
        XCTAssertEqual(PlaneRotation.keys(1), 0)
        XCTAssertEqual(PlaneRotation.keys(0.5), 0.5625)  // (1.5·0.5 − 2.5)·0.25 + 1
    }

    func testCornerPixelUnderEachEdgeMode() {
        // A 45° turn of a 3 × 3 plane: output (0, 0) samples the source at row 1 − √2 ≈ −0.414,
        // col 1. Nearest rounds the row to 0 and reads (0, 1) = 2 in every mode; bilinear mixes
        // row −1 (weight √2 − 1) with row 0 (weight 2 − √2), and row −1 is what the edge mode
        // says: 0, a copy of row 0 (2), or row 1 reflected (5).
        let plane: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let f = 2 - (2.0).squareRoot()  // weight of row 0
        let rowMinus1: [EdgeMode: Float] = [.zero: 0, .replicate: 2, .reflect: 5]
        for edges in EdgeMode.allCases {
            let rotation = { (interpolation: RotationInterpolation) in
                PlaneRotation(angle: .pi / 4, height: 3, width: 3, interpolation: interpolation,
                              edges: edges).apply(Tensor(shape: [3, 3], storage: plane)).storage
            }
            XCTAssertEqual(rotation(.nearest)[0], 2, accuracy: 1e-6, "\(edges)")
            let expected = Float(1 - f) * (rowMinus1[edges] ?? .nan) + Float(f) * 2
            XCTAssertEqual(rotation(.bilinear)[0], expected, accuracy: 1e-5, "\(edges)")
        }
    }

    func testLabelsRotateWithNearestSampling() {
        let labels: [Int32] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
        let rotation = PlaneRotation(angle: .pi / 2, height: 4, width: 4, interpolation: .nearest)
        let turned = rotation.apply(labels: labels)
        XCTAssertEqual(turned, (0..<16).map { p in labels[(p % 4) * 4 + (3 - p / 4)] })
    }
}
