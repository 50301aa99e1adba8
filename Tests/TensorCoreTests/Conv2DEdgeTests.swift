import TensorCore
import XCTest
import _TestSupport

/// The specialised convolution paths (Winograd F(2×2, 3×3), 1×1 GEMM) at their edges, and
/// their independence from the worker count.
final class Conv2DEdgeTests: XCTestCase {
    private func compareWithNaive(n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int,
                                  stride: Int, padding: Int, rng: inout SeededGenerator,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let x = Tensor.gaussian(shape: [n, cin, h, w], generator: &rng)
        let weight = Tensor.gaussian(shape: [cout, cin, k, k], std: 0.4, generator: &rng)
        let bias = Tensor.gaussian(shape: [cout], generator: &rng)
        let context = "x \(x.shape) w \(weight.shape) stride \(stride) padding \(padding)"
        let y = Conv2DKernels.forward(input: x, weight: weight, bias: bias, stride: stride,
                                      padding: padding)
        let expected = NaiveReference.conv2DForward(input: x, weight: weight, bias: bias,
                                                    stride: stride, padding: padding)
        assertClose(y, expected, tolerance: 1e-4, relativeTolerance: 1e-4, "forward, \(context)",
                    file: file, line: line)
        let g = Tensor.gaussian(shape: expected.shape, generator: &rng)
        let got = Conv2DKernels.backward(outputGradient: g, input: x, weight: weight,
                                         stride: stride, padding: padding)
        let naive = NaiveReference.conv2DBackward(outputGradient: g, input: x, weight: weight,
                                                  stride: stride, padding: padding)
        guard let dx = got.input else {
            return XCTFail("no dx, \(context)", file: file, line: line)
        }
        assertClose(dx, naive.input, tolerance: 1e-4, relativeTolerance: 1e-4, "dx, \(context)",
                    file: file, line: line)
        assertClose(got.weight, naive.weight, tolerance: 1e-3, relativeTolerance: 1e-4,
                    "dw, \(context)", file: file, line: line)
        assertClose(got.bias, naive.bias, tolerance: 1e-3, relativeTolerance: 1e-4,
                    "db, \(context)", file: file, line: line)
    }

    /// 3×3 stride 1 (the Winograd path): tiny images, odd outputs, padding 0–3, one channel.
    func testWinogradEdgesAgainstNaiveLoops() {
        var rng = SeededGenerator(seed: 21)
        for (h, w, padding) in [(1, 1, 1), (2, 2, 1), (3, 3, 0), (3, 4, 0), (4, 3, 1), (5, 5, 2),
                                (2, 7, 3), (9, 6, 1), (6, 9, 0), (17, 3, 1)] {
            compareWithNaive(n: 2, cin: 3, cout: 2, h: h, w: w, k: 3, stride: 1,
                             padding: padding, rng: &rng)
        }
        compareWithNaive(n: 1, cin: 1, cout: 1, h: 8, w: 8, k: 3, stride: 1, padding: 1, rng: &rng)
        // Several blocks per image (more than 256 tiles) and a partial last block.
        compareWithNaive(n: 2, cin: 2, cout: 3, h: 45, w: 40, k: 3, stride: 1, padding: 1,
                         rng: &rng)
    }

    /// 1×1 convolutions (GEMM without im2col) and the generic path beside them.
    func testPointwiseAndOtherKernelsAgainstNaiveLoops() {
        var rng = SeededGenerator(seed: 22)
        compareWithNaive(n: 3, cin: 5, cout: 4, h: 6, w: 7, k: 1, stride: 1, padding: 0, rng: &rng)
        compareWithNaive(n: 2, cin: 5, cout: 4, h: 6, w: 7, k: 1, stride: 2, padding: 0, rng: &rng)
        compareWithNaive(n: 2, cin: 3, cout: 4, h: 5, w: 6, k: 1, stride: 1, padding: 1, rng: &rng)
        compareWithNaive(n: 2, cin: 3, cout: 2, h: 8, w: 9, k: 2, stride: 2, padding: 0, rng: &rng)
        compareWithNaive(n: 2, cin: 2, cout: 3, h: 9, w: 8, k: 5, stride: 1, padding: 2, rng: &rng)
        compareWithNaive(n: 1, cin: 2, cout: 2, h: 7, w: 7, k: 7, stride: 1, padding: 0, rng: &rng)
    }

    /// Forward passes write each output from one place: identical bits for 1 and 2 workers.
    /// Backward passes sum weight gradients per worker, so only closeness is required.
    func testWorkerCountDoesNotChangeForwardBits() {
        let saved = ThreadPolicy.workerCount
        defer { ThreadPolicy.workerCount = saved }
        var rng = SeededGenerator(seed: 23)
        for (k, stride, padding) in [(3, 1, 1), (3, 2, 1), (1, 1, 0)] {
            let x = Tensor.gaussian(shape: [3, 4, 19, 18], generator: &rng)
            let weight = Tensor.gaussian(shape: [5, 4, k, k], generator: &rng)
            let bias = Tensor.gaussian(shape: [5], generator: &rng)
            var outputs: [Tensor] = []
            var gradients: [(input: Tensor?, weight: Tensor, bias: Tensor)] = []
            let g = Tensor.gaussian(
                shape: Conv2DKernels.Geometry(inputShape: x.shape, weightShape: weight.shape,
                                              stride: stride, padding: padding).outputShape,
                generator: &rng)
            for workers in [1, 2] {
                ThreadPolicy.workerCount = workers
                outputs.append(Conv2DKernels.forward(input: x, weight: weight, bias: bias,
                                                     stride: stride, padding: padding))
                gradients.append(Conv2DKernels.backward(outputGradient: g, input: x, weight: weight,
                                                        stride: stride, padding: padding))
            }
            assertBitwiseEqual(outputs[0], outputs[1], "k \(k) stride \(stride)")
            assertClose(gradients[0].weight, gradients[1].weight, tolerance: 1e-3,
                        relativeTolerance: 1e-5, "k \(k) stride \(stride)")
            if let a = gradients[0].input, let b = gradients[1].input {
                assertBitwiseEqual(a, b, "dx is per image, k \(k) stride \(stride)")
            } else {
                XCTFail("missing input gradient")
            }
        }
    }

    func testGeometry() {
        let g = Conv2DKernels.Geometry(inputShape: [8, 32, 128, 128], weightShape: [16, 32, 3, 3],
                                       stride: 2, padding: 1)
        XCTAssertEqual(g.outputShape, [8, 16, 64, 64])
        XCTAssertEqual(g.patchSize, 288)
        XCTAssertEqual(g.flops, 2 * 8 * 16 * 288 * 64 * 64)
    }
}
