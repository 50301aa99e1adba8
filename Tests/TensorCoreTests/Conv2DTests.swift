import TensorCore
import XCTest
import _TestSupport

/// conv2d against the naive direct loops, and its backward against finite differences.
final class Conv2DTests: XCTestCase {
    /// Random shapes: odd and even sizes, kernels 1–5, strides 1–2, padding 0–2, batch ≥ 1.
    func testForwardAndBackwardMatchNaiveLoopsOnRandomShapes() {
        var rng = SeededGenerator(seed: 11)
        for trial in 0..<24 {
            let n = 1 + rng.nextInt(below: 3)
            let cin = 1 + rng.nextInt(below: 5)
            let cout = 1 + rng.nextInt(below: 6)
            let k = 1 + rng.nextInt(below: 5)
            let stride = 1 + rng.nextInt(below: 2)
            let padding = rng.nextInt(below: min(3, k))
            let h = max(k, 3 + rng.nextInt(below: 10)), w = max(k, 3 + rng.nextInt(below: 10))
            let x = Tensor.gaussian(shape: [n, cin, h, w], generator: &rng)
            let weight = Tensor.gaussian(shape: [cout, cin, k, k], generator: &rng)
            let bias = trial % 3 == 0 ? nil : Tensor.gaussian(shape: [cout], generator: &rng)
            let context = "trial \(trial): x \(x.shape) w \(weight.shape) s \(stride) p \(padding)"
            let expected = NaiveReference.conv2DForward(input: x, weight: weight, bias: bias,
                                                        stride: stride, padding: padding)
            let fast = Conv2DKernels.forward(input: x, weight: weight, bias: bias,
                                             stride: stride, padding: padding)
            let reference = Conv2DKernels.referenceForward(input: x, weight: weight, bias: bias,
                                                           stride: stride, padding: padding)
            assertClose(fast, expected, tolerance: 1e-4, relativeTolerance: 1e-4, context)
            assertClose(reference, expected, tolerance: 1e-4, relativeTolerance: 1e-4, context)

            let g = Tensor.gaussian(shape: expected.shape, generator: &rng)
            let naive = NaiveReference.conv2DBackward(outputGradient: g, input: x, weight: weight,
                                                      stride: stride, padding: padding)
            for (name, result) in [
                ("fast", Conv2DKernels.backward(outputGradient: g, input: x, weight: weight,
                                                stride: stride, padding: padding)),
                ("reference", Conv2DKernels.referenceBackward(outputGradient: g, input: x,
                                                              weight: weight, stride: stride,
                                                              padding: padding)),
            ] {
                guard let dx = result.input else { return XCTFail("no input gradient, \(context)") }
                assertClose(dx, naive.input, tolerance: 1e-4, relativeTolerance: 1e-4,
                            "\(name) dx, \(context)")
                assertClose(result.weight, naive.weight, tolerance: 1e-3, relativeTolerance: 1e-4,
                            "\(name) dw, \(context)")
                assertClose(result.bias, naive.bias, tolerance: 1e-3, relativeTolerance: 1e-4,
                            "\(name) db, \(context)")
            }
        }
    }

    /// The benchmark-like shapes (3×3, pad 1, larger channel counts and batch) exercise the
    /// fast path's specialised branches; compared with the reference path.
    func testFastPathMatchesReferenceOnThreeByThreeShapes() {
        var rng = SeededGenerator(seed: 12)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, stride: Int, padding: Int)] = [
            (4, 16, 16, 20, 20, 1, 1), (3, 12, 8, 15, 17, 1, 1), (5, 8, 10, 9, 9, 1, 1),
            (2, 7, 9, 14, 11, 2, 1), (6, 10, 10, 7, 7, 1, 0), (1, 3, 4, 31, 30, 1, 1),
        ]
        for c in cases {
            let x = Tensor.gaussian(shape: [c.n, c.cin, c.h, c.w], generator: &rng)
            let weight = Tensor.gaussian(shape: [c.cout, c.cin, 3, 3], std: 0.3, generator: &rng)
            let bias = Tensor.gaussian(shape: [c.cout], generator: &rng)
            let context = "case \(c)"
            let expected = Conv2DKernels.referenceForward(input: x, weight: weight, bias: bias,
                                                          stride: c.stride, padding: c.padding)
            let fast = Conv2DKernels.forward(input: x, weight: weight, bias: bias,
                                             stride: c.stride, padding: c.padding)
            assertClose(fast, expected, tolerance: 1e-4, relativeTolerance: 1e-4, context)
            let g = Tensor.gaussian(shape: expected.shape, generator: &rng)
            let ref = Conv2DKernels.referenceBackward(outputGradient: g, input: x, weight: weight,
                                                      stride: c.stride, padding: c.padding)
            let got = Conv2DKernels.backward(outputGradient: g, input: x, weight: weight,
                                             stride: c.stride, padding: c.padding)
            guard let dx = got.input, let refDx = ref.input else { return XCTFail(context) }
            assertClose(dx, refDx, tolerance: 1e-4, relativeTolerance: 1e-4, "dx \(context)")
            assertClose(got.weight, ref.weight, tolerance: 1e-3, relativeTolerance: 1e-4,
                        "dw \(context)")
            assertClose(got.bias, ref.bias, tolerance: 1e-3, relativeTolerance: 1e-4,
                        "db \(context)")
            let noInput = Conv2DKernels.backward(outputGradient: g, input: x, weight: weight,
                                                 stride: c.stride, padding: c.padding,
                                                 needsInputGradient: false)
            XCTAssertNil(noInput.input)
            assertClose(noInput.weight, ref.weight, tolerance: 1e-3, relativeTolerance: 1e-4,
                        "dw without dx, \(context)")
        }
    }

    /// `GradientCheck` central differences (ε = 1e-2; convolution is linear in each input, so
    /// only Float32 rounding remains); tolerance 1e-3 on |a − n| / max(1, |a|, |n|).
    func testBackwardMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 13)
        for (stride, padding, h, w) in [(1, 1, 6, 7), (2, 1, 7, 6), (2, 0, 8, 8), (1, 0, 5, 5)] {
            let x = Tensor.gaussian(shape: [2, 3, h, w], generator: &rng)
            let weight = Tensor.gaussian(shape: [4, 3, 3, 3], std: 0.5, generator: &rng)
            let bias = Tensor.gaussian(shape: [4], generator: &rng)
            let y = Conv2DKernels.forward(input: x, weight: weight, bias: bias,
                                          stride: stride, padding: padding)
            let probe = Tensor.gaussian(shape: y.shape, generator: &rng)
            let grads = Conv2DKernels.backward(outputGradient: probe, input: x, weight: weight,
                                               stride: stride, padding: padding)
            guard let dx = grads.input else { return XCTFail("no input gradient") }
            GradientCheck.assertGradients(
                inputs: [x, weight, bias], analytic: [dx, grads.weight, grads.bias],
                tolerance: 1e-3, "stride \(stride) padding \(padding) \(h)×\(w)"
            ) { t in
                GradientCheck.probe(Conv2DKernels.forward(input: t[0], weight: t[1], bias: t[2],
                                                          stride: stride, padding: padding),
                                    weights: probe)
            }
        }
    }

    func testResultIsDeterministicForASeed() {
        func run() -> (Tensor, Tensor, Tensor) {
            var rng = SeededGenerator(seed: 99)
            let x = Tensor.gaussian(shape: [5, 6, 13, 12], generator: &rng)
            let weight = Tensor.gaussian(shape: [7, 6, 3, 3], generator: &rng)
            let y = Conv2DKernels.forward(input: x, weight: weight, bias: nil, stride: 1,
                                          padding: 1)
            let g = Conv2DKernels.backward(outputGradient: y, input: x, weight: weight,
                                           stride: 1, padding: 1)
            return (y, g.input ?? Tensor(scalar: .nan), g.weight)
        }
        let a = run(), b = run()
        assertBitwiseEqual(a.0, b.0, "forward")
        assertBitwiseEqual(a.1, b.1, "input gradient")
        assertBitwiseEqual(a.2, b.2, "weight gradient")
    }
}
