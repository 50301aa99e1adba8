import TensorCore
import XCTest
import _TestSupport

/// The channels-last kernels against naive index loops and their (N, C, H, W) counterparts,
/// with two workers so that the row splits really happen.
final class ChannelsLastKernelTests: TwoWorkerTestCase {
    func testLayoutChangesMoveEverySampleToItsIndex() {
        var generator = SeededGenerator(seed: 160)
        for shape in [[2, 5, 7, 6], [1, 1, 9, 4], [3, 16, 8, 8], [1, 3, 1, 1]] {
            let x = Tensor.gaussian(shape: shape, generator: &generator)
            let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            let last = ChannelsLastKernels.fromPlanes(x)
            XCTAssertEqual(last.shape, [n, h, w, c])
            for image in 0..<n {
                for channel in 0..<c {
                    for y in 0..<h {
                        for col in 0..<w {
                            XCTAssertEqual(last.storage[((image * h + y) * w + col) * c + channel],
                                           x.storage[((image * c + channel) * h + y) * w + col],
                                           "\(shape) at \(image), \(channel), \(y), \(col)")
                        }
                    }
                }
            }
            assertBitwiseEqual(ChannelsLastKernels.toPlanes(last), x, "round trip \(shape)")
        }
    }

    func testMaxPoolingEqualsThePlanesKernelBitForBit() {
        var generator = SeededGenerator(seed: 161)
        for shape in [[2, 8, 32, 32], [1, 5, 7, 6], [3, 16, 9, 11], [1, 1, 2, 2], [1, 12, 6, 6]] {
            var x = Tensor.gaussian(shape: shape, generator: &generator)
            for k in stride(from: 5, to: x.count, by: 89) { x.storage[k] = .nan }
            let expected = Pool2D.maxValues(input: x, kernel: 2)
            let pooled = ChannelsLastKernels.maxPool2x2(ChannelsLastKernels.fromPlanes(x))
            XCTAssertEqual(pooled.shape, [shape[0], shape[2] / 2, shape[3] / 2, shape[1]])
            let planes = ChannelsLastKernels.toPlanes(pooled)
            XCTAssertEqual(planes.storage.map(\.bitPattern), expected.storage.map(\.bitPattern),
                           "\(shape)")
        }
    }

    func testUpsampledConcatenationEqualsNearestThenConcatenate() {
        var generator = SeededGenerator(seed: 162)
        for (n, h, w, c1, c2, f) in [(1, 16, 12, 8, 16, 2), (2, 6, 9, 3, 5, 3), (1, 4, 4, 1, 1, 1)] {
            let skip = Tensor.gaussian(shape: [n, c1, h, w], generator: &generator)
            let coarse = Tensor.gaussian(shape: [n, c2, h / f, w / f], generator: &generator)
            // The naive result: y[c1 + k, i, j] = coarse[k, ⌊i/f⌋, ⌊j/f⌋] beside the skip.
            var expected = [Float](repeating: .nan, count: n * (c1 + c2) * h * w)
            for image in 0..<n {
                for channel in 0..<(c1 + c2) {
                    for i in 0..<h {
                        for j in 0..<w {
                            expected[((image * (c1 + c2) + channel) * h + i) * w + j] =
                                channel < c1
                                ? skip.storage[((image * c1 + channel) * h + i) * w + j]
                                : coarse.storage[((image * c2 + channel - c1) * (h / f) + i / f)
                                                 * (w / f) + j / f]
                        }
                    }
                }
            }
            let joined = ChannelsLastKernels.concatenateUpsampled(
                skip: ChannelsLastKernels.fromPlanes(skip),
                coarse: ChannelsLastKernels.fromPlanes(coarse), factor: f)
            XCTAssertEqual(joined.shape, [n, h, w, c1 + c2])
            assertBitwiseEqual(ChannelsLastKernels.toPlanes(joined),
                               Tensor(shape: [n, c1 + c2, h, w], storage: expected),
                               "n \(n), \(h)×\(w), channels \(c1) + \(c2), factor \(f)")
        }
    }
}
