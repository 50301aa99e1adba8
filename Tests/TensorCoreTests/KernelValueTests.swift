import TensorCore
import XCTest
import _TestSupport

/// Forward values of the non-convolution kernels against hand-worked or PyTorch-documented
/// numbers, and the test helpers' own ability to fail.
final class KernelValueTests: XCTestCase {
    func testBilinearMatchesPyTorchAlignCornersFalse() {
        // torch.nn.functional.interpolate([[1, 2], [3, 4]], scale_factor=2, mode="bilinear",
        // align_corners=False): source index (i + ½)/2 − ½ clamped at 0.
        let x = Tensor(shape: [1, 1, 2, 2], storage: [1, 2, 3, 4])
        let expected = Tensor(shape: [1, 1, 4, 4], storage: [
            1.0, 1.25, 1.75, 2.0,
            1.5, 1.75, 2.25, 2.5,
            2.5, 2.75, 3.25, 3.5,
            3.0, 3.25, 3.75, 4.0,
        ])
        assertClose(UpsampleKernels.bilinearForward(input: x, factor: 2), expected, tolerance: 1e-6)
        let nearest = UpsampleKernels.nearestForward(input: x, factor: 2)
        XCTAssertEqual(nearest.storage, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        XCTAssertEqual(UpsampleKernels.nearestBackward(outputGradient: nearest, factor: 2).storage,
                       [4, 8, 12, 16])
    }

    /// Nearest upsampling equals the naive loop y[i, j] = x[⌊i/f⌋, ⌊j/f⌋] for factors 1–3,
    /// odd and even sizes, and enough planes to be split over workers.
    func testNearestUpsamplingMatchesTheNaiveLoop() {
        var generator = SeededGenerator(seed: 7)
        for (shape, factor) in [([2, 8, 32, 32], 2), ([1, 6, 30, 31], 3), ([3, 5, 7], 1),
                                ([1, 1, 1, 1], 3)] {
            let x = Tensor.gaussian(shape: shape, generator: &generator)
            let (h, w) = (shape[shape.count - 2], shape[shape.count - 1])
            let planes = x.count / (h * w)
            let (oh, ow) = (h * factor, w * factor)
            var expected = [Float](repeating: .nan, count: planes * oh * ow)
            for plane in 0..<planes {
                for i in 0..<oh {
                    for j in 0..<ow {
                        expected[(plane * oh + i) * ow + j] =
                            x.storage[(plane * h + i / factor) * w + j / factor]
                    }
                }
            }
            let y = UpsampleKernels.nearestForward(input: x, factor: factor)
            XCTAssertEqual(y.shape, Array(shape.dropLast(2)) + [oh, ow])
            XCTAssertEqual(y.storage, expected, "\(shape) × \(factor)")
        }
    }

    /// The inference max pooling equals `maxForward`'s output bit for bit, NaNs included, for
    /// 2×2 and 3×3 windows, strides 1–3, odd sizes and enough planes to be split over workers.
    func testMaxValuesEqualMaxForward() {
        var generator = SeededGenerator(seed: 11)
        for (shape, kernel, step) in [([2, 8, 32, 32], 2, 2), ([1, 6, 31, 30], 3, 3),
                                      ([3, 7, 9], 3, 1), ([1, 1, 5, 7], 2, 1),
                                      ([1, 4, 64, 64], 2, 2)] {
            var x = Tensor.gaussian(shape: shape, generator: &generator)
            for k in stride(from: 3, to: x.count, by: 97) { x.storage[k] = .nan }
            let expected = Pool2D.maxForward(input: x, kernel: kernel, stride: step).output
            let values = Pool2D.maxValues(input: x, kernel: kernel, stride: step)
            XCTAssertEqual(values.shape, expected.shape)
            XCTAssertEqual(values.storage.map(\.bitPattern), expected.storage.map(\.bitPattern),
                           "\(shape), kernel \(kernel), stride \(step)")
            XCTAssertTrue(values.storage.contains { $0.isNaN }, "NaN propagates")
        }
    }

    func testPoolingValues() {
        let x = Tensor(shape: [1, 1, 3, 4], storage: [1, 5, 2, 0, 3, 4, 8, 7, 9, 6, 1, 2])
        let (maxOut, argmax) = Pool2D.maxForward(input: x, kernel: 2, stride: 2)
        XCTAssertEqual(maxOut.shape, [1, 1, 1, 2])
        XCTAssertEqual(maxOut.storage, [5, 8])
        XCTAssertEqual(argmax, [1, 6])
        let (overlap, _) = Pool2D.maxForward(input: x, kernel: 2, stride: 1)
        XCTAssertEqual(overlap.storage, [5, 8, 8, 9, 8, 8])
        XCTAssertEqual(Pool2D.averageForward(input: x, kernel: 2).storage, [13.0 / 4, 17.0 / 4])
        XCTAssertEqual(Pool2D.globalAverageForward(input: x).storage, [4])
        XCTAssertEqual(Pool2D.globalMaxForward(input: x).argmax, [8])
    }

    func testBatchNormStatisticsAndRunningEstimates() {
        // Channel 0 holds 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1 all 7.
        let x = Tensor(shape: [2, 2, 2], storage: [1, 2, 7, 7, 3, 4, 7, 7])
        var runningMean = Tensor(zeros: [2])
        var runningVar = Tensor(zeros: [2], value: 1)
        let (y, _) = BatchNorm.forward(input: x, gamma: Tensor(shape: [2], storage: [2, 1]),
                                       beta: Tensor(shape: [2], storage: [0.5, -1]),
                                       runningMean: &runningMean, runningVariance: &runningVar,
                                       momentum: 0.1, epsilon: 1e-5, training: true)
        let s = Float(1.25 + 1e-5).squareRoot()
        assertClose(y, Tensor(shape: [2, 2, 2], storage: [
            2 * -1.5 / s + 0.5, 2 * -0.5 / s + 0.5, -1, -1,
            2 * 0.5 / s + 0.5, 2 * 1.5 / s + 0.5, -1, -1,
        ]), tolerance: 1e-5, "a constant channel normalises to β")
        assertClose(runningMean, Tensor(shape: [2], storage: [0.25, 0.7]), tolerance: 1e-6)
        assertClose(runningVar, Tensor(shape: [2], storage: [0.9 + 0.1 * 5 / 3, 0.9]),
                    tolerance: 1e-6)
        // Inference uses the running estimates and leaves them alone.
        let (z, _) = BatchNorm.forward(input: x, gamma: Tensor.ones([2]), beta: Tensor.zeros([2]),
                                       runningMean: &runningMean, runningVariance: &runningVar,
                                       epsilon: 0, training: false)
        assertClose(z.storage[0], (1 - 0.25) / (0.9 + 0.1 * 5 / 3).squareRoot(), tolerance: 1e-6)
        assertClose(runningMean, Tensor(shape: [2], storage: [0.25, 0.7]), tolerance: 0)
    }

    func testLinearMatchesLoops() {
        var rng = SeededGenerator(seed: 31)
        let x = Tensor.gaussian(shape: [3, 4], generator: &rng)
        let w = Tensor.gaussian(shape: [2, 4], generator: &rng)
        let b = Tensor(shape: [2], storage: [0.5, -1])
        var expected = Tensor(zeros: [3, 2])
        for n in 0..<3 {
            for o in 0..<2 {
                expected[n, o] = b.storage[o]
                for f in 0..<4 { expected[n, o] += x[n, f] * w[o, f] }
            }
        }
        assertClose(LinearKernels.forward(input: x, weight: w, bias: b), expected, tolerance: 1e-5)
    }

    func testDropoutRateAndDeterminism() {
        var a = SeededGenerator(seed: 3)
        var b = SeededGenerator(seed: 3)
        let x = Tensor.ones([10_000])
        let first = DropoutKernels.forward(input: x, probability: 0.25, generator: &a)
        let second = DropoutKernels.forward(input: x, probability: 0.25, generator: &b)
        assertBitwiseEqual(first.mask, second.mask)
        let dropped = first.mask.storage.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / 10_000, 0.25, accuracy: 0.02)
        assertClose(first.output.mean(), 1, tolerance: 0.03, "inverted dropout keeps the mean")
    }

    func testSoftmaxIsStableForLargeLogits() {
        let x = Tensor(shape: [1, 3], storage: [1000, 1000, -1000])
        assertClose(Softmax.forward(logits: x, axis: 1),
                    Tensor(shape: [1, 3], storage: [0.5, 0.5, 0]),
                    tolerance: 1e-7)
        assertClose(Softmax.logSoftmaxForward(logits: x, axis: 1).storage[0], -Float(log(2.0)),
                    tolerance: 1e-6)
    }

    /// The gradient checker must catch a wrong gradient and report where.
    func testGradientCheckDetectsAWrongGradient() {
        let x = Tensor(shape: [3], storage: [0.5, -1, 2])
        let right = x.scaled(by: 2)  // d/dx Σ x² = 2x
        var wrong = right
        wrong.storage[2] += 0.1
        let good = GradientCheck.check(inputs: [x], function: { Double($0[0].squaredNorm) },
                                       analytic: [right])
        XCTAssertLessThan(good.worstError, 1e-3, "\(good)")
        let bad = GradientCheck.check(inputs: [x], function: { Double($0[0].squaredNorm) },
                                      analytic: [wrong])
        XCTAssertEqual(bad.sampleIndex, 2)
        XCTAssertGreaterThan(bad.worstError, 0.02, "\(bad)")
    }

    /// The piecewise-linear checker must shrink a step that crosses a kink, measure the slope
    /// on the right piece, and still catch a wrong gradient there.
    func testPiecewiseLinearCheckShrinksStepsOverKinks() {
        // f(x) = Σ w_i · max(x_i, 0): kinks within ε = 1e-2 of samples 0 and 1.
        let x = Tensor(shape: [3], storage: [0.004, -0.003, 0.5])
        let w: [Double] = [1.5, -2, 0.75]
        let f = { (t: [Tensor]) -> Double in
            (0..<3).reduce(0) { $0 + w[$1] * Double(max(t[0].storage[$1], 0)) }
        }
        let right = Tensor(shape: [3], storage: [1.5, 0, 0.75])
        let plain = GradientCheck.check(inputs: [x], function: f, analytic: [right])
        XCTAssertGreaterThan(plain.worstError, 0.1, "a step over the kink mixes slopes: \(plain)")
        let good = GradientCheck.checkPiecewiseLinear(inputs: [x], function: f,
                                                      analytic: [right])
        XCTAssertLessThan(good.worstError, 1e-3, "\(good)")
        XCTAssertEqual(good.shrunkSteps, 2, "\(good)")
        XCTAssertEqual(good.kinked, 0, "\(good)")
        var wrong = right
        wrong.storage[1] = -0.1
        let bad = GradientCheck.checkPiecewiseLinear(inputs: [x], function: f,
                                                     analytic: [wrong])
        XCTAssertEqual(bad.sampleIndex, 1)
        XCTAssertGreaterThan(bad.worstError, 0.05, "\(bad)")
    }

    func testDiscrepancyReportsWorstErrors() {
        let report = Discrepancy(actual: [1, 2.5, 3, 100], expected: [1, 2, 3, 101],
                                 absolute: 0.1, relative: 0)
        XCTAssertEqual(report.worstAbsoluteError, 1)
        XCTAssertEqual(report.worstAbsoluteIndex, 3)
        XCTAssertEqual(report.worstRelativeError, 0.25)
        XCTAssertEqual(report.worstRelativeIndex, 1)
        XCTAssertGreaterThan(report.worstExcess, 0)
        let nan = Discrepancy(actual: [.nan], expected: [0], absolute: 1, relative: 1)
        XCTAssertGreaterThan(nan.worstExcess, 0, "NaN must fail")
    }

    func testThreadPolicyChunksCoverTheRangeOnce() {
        for count in [1, 2, 7, 64] {
            for chunks in 1...3 {
                let ranges = (0..<chunks).map {
                    ThreadPolicy.chunkRange($0, of: chunks, count: count)
                }
                XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count))
            }
        }
        var seen = [Int](repeating: 0, count: 10)
        seen.withUnsafeMutableBufferPointer { buffer in
            let shared = RegionPointer(buffer)  // each chunk writes only its own range
            ThreadPolicy.parallel(count: 10) { _, range in
                for i in range { shared.pointer[i] += 1 }
            }
        }
        XCTAssertEqual(seen, [Int](repeating: 1, count: 10))
    }

    /// Pooling and batch norm split planes / channels across workers once inputs are large;
    /// the bits must equal a single worker's.
    func testParallelPoolingAndBatchNormMatchOneWorkerBitForBit() {
        let saved = ThreadPolicy.workerCount
        defer { ThreadPolicy.workerCount = saved }
        var rng = SeededGenerator(seed: 42)
        let x = Tensor.gaussian(shape: [4, 8, 32, 32], generator: &rng)
        let g = Tensor.gaussian(shape: x.shape, generator: &rng)
        var results: [[Tensor]] = []
        for workers in [1, 2] {
            ThreadPolicy.workerCount = workers
            let (pooled, argmax) = Pool2D.maxForward(input: x, kernel: 2, stride: 2)
            var mean = Tensor.zeros([8]), variance = Tensor.ones([8])
            let (normalized, cache) = BatchNorm.forward(
                input: x, gamma: Tensor.ones([8]), beta: Tensor.zeros([8]), runningMean: &mean,
                runningVariance: &variance, training: true)
            let back = BatchNorm.backward(outputGradient: g, cache: cache)
            results.append([pooled, Tensor(shape: [argmax.count], storage: argmax.map(Float.init)),
                            normalized, mean, variance, back.input, back.gamma, back.beta])
        }
        for (a, b) in zip(results[0], results[1]) { assertBitwiseEqual(a, b) }
    }

    /// A kernel running inside another's parallel region runs serially and gives the same
    /// result as on its own.
    func testNestedParallelRegionsRunSerially() {
        let saved = ThreadPolicy.workerCount
        defer { ThreadPolicy.workerCount = saved }
        ThreadPolicy.workerCount = 2
        var rng = SeededGenerator(seed: 41)
        let x = Tensor.gaussian(shape: [2, 3, 9, 9], generator: &rng)
        let w = Tensor.gaussian(shape: [4, 3, 3, 3], generator: &rng)
        let alone = Conv2DKernels.forward(input: x, weight: w, bias: nil, stride: 1, padding: 1)
        var nested = [Tensor](repeating: Tensor(scalar: 0), count: 2)
        var innerChunks = [Int](repeating: 0, count: 2)
        nested.withUnsafeMutableBufferPointer { results in
            innerChunks.withUnsafeMutableBufferPointer { chunks in
                // Each chunk writes only the slots of its own range.
                let (sharedResults, sharedChunks) = (RegionPointer(results), RegionPointer(chunks))
                ThreadPolicy.parallel(count: 2) { _, range in
                    let (results, chunks) = (sharedResults.pointer, sharedChunks.pointer)
                    for i in range {
                        chunks[i] = ThreadPolicy.chunkCount(count: 100)
                        results[i] = Conv2DKernels.forward(input: x, weight: w, bias: nil,
                                                           stride: 1, padding: 1)
                    }
                }
            }
        }
        XCTAssertEqual(innerChunks, [1, 1])
        for result in nested { assertBitwiseEqual(result, alone) }
    }
}
