import TensorCore
import XCTest
import _TestSupport

/// Every kernel's backward pass against central finite differences (see `GradientCheck`),
/// on odd and even sizes, batch > 1, strides 1 and 2 where the kernel has a stride.
///
/// Forward passes are Float32 and every loss is differenced in Float64. Tolerance for every
/// kernel: worst |analytic − numerical| / max(1, |analytic|, |numerical|) ≤ 1e-3, with
/// ε = 1e-2 (linear and piecewise-linear kernels, batch norm) or ε = 1e-3 (activations,
/// softmax, losses: larger curvature); the worst error is reported on failure. Max pooling
/// and ReLU get inputs spaced 0.1 apart, so no step of ε crosses a kink.
final class KernelGradientTests: XCTestCase {
    /// Random values at least `gap` apart from each other within groups of `count`, so max
    /// pooling and ReLU are never evaluated within ε of a kink.
    private func separated(shape: [Int], rng: inout SeededGenerator) -> Tensor {
        let count = shape.reduce(1, *)
        var values = (0..<count).map { Float($0) * 0.1 - Float(count) * 0.05 }
        values.shuffle(using: &rng)
        return Tensor(shape: shape, storage: values)
    }

    func testLinear() {
        var rng = SeededGenerator(seed: 1)
        for (n, f, o) in [(3, 5, 4), (4, 6, 7)] {
            let x = Tensor.gaussian(shape: [n, f], generator: &rng)
            let w = Tensor.gaussian(shape: [o, f], generator: &rng)
            let b = Tensor.gaussian(shape: [o], generator: &rng)
            let probe = Tensor.gaussian(shape: [n, o], generator: &rng)
            let g = LinearKernels.backward(outputGradient: probe, input: x, weight: w)
            GradientCheck.assertGradients(inputs: [x, w, b], analytic: [g.input, g.weight, g.bias],
                                          tolerance: 1e-3) { t in
                GradientCheck.probe(LinearKernels.forward(input: t[0], weight: t[1], bias: t[2]),
                                    weights: probe)
            }
        }
    }

    func testMaxPooling() {
        var rng = SeededGenerator(seed: 2)
        for (shape, k, s) in [([2, 3, 6, 6], 2, 2), ([2, 2, 7, 5], 3, 2), ([3, 2, 5, 6], 2, 1),
                              ([2, 2, 2, 5, 4], 2, 2)] {
            let x = separated(shape: shape, rng: &rng)
            let (y, argmax) = Pool2D.maxForward(input: x, kernel: k, stride: s)
            let probe = Tensor.gaussian(shape: y.shape, generator: &rng)
            let dx = Pool2D.maxBackward(outputGradient: probe, argmax: argmax, inputShape: shape)
            GradientCheck.assertGradients(inputs: [x], analytic: [dx], epsilon: 1e-2,
                                          tolerance: 1e-3, "shape \(shape) k \(k) s \(s)") { t in
                GradientCheck.probe(Pool2D.maxForward(input: t[0], kernel: k, stride: s).output,
                                    weights: probe)
            }
        }
    }

    func testAveragePooling() {
        var rng = SeededGenerator(seed: 3)
        for (shape, k, s) in [([2, 3, 6, 6], 2, 2), ([2, 2, 7, 5], 3, 2), ([3, 2, 5, 6], 2, 1)] {
            let x = Tensor.gaussian(shape: shape, generator: &rng)
            let y = Pool2D.averageForward(input: x, kernel: k, stride: s)
            let probe = Tensor.gaussian(shape: y.shape, generator: &rng)
            let dx = Pool2D.averageBackward(outputGradient: probe, inputShape: shape,
                                            kernel: k, stride: s)
            GradientCheck.assertGradients(inputs: [x], analytic: [dx], tolerance: 1e-3,
                                          "shape \(shape) k \(k) s \(s)") { t in
                GradientCheck.probe(Pool2D.averageForward(input: t[0], kernel: k, stride: s),
                                    weights: probe)
            }
        }
    }

    func testGlobalPooling() {
        var rng = SeededGenerator(seed: 4)
        for shape in [[2, 3, 5, 4], [3, 2, 6, 7], [2, 2, 4, 3, 3]] {
            let x = separated(shape: shape, rng: &rng)
            let avg = Pool2D.globalAverageForward(input: x)
            XCTAssertEqual(avg.shape, Array(shape.dropLast(2)))
            let probe = Tensor.gaussian(shape: avg.shape, generator: &rng)
            GradientCheck.assertGradients(
                inputs: [x],
                analytic: [Pool2D.globalAverageBackward(outputGradient: probe, inputShape: shape)],
                tolerance: 1e-3, "average \(shape)"
            ) { t in GradientCheck.probe(Pool2D.globalAverageForward(input: t[0]), weights: probe) }
            let (mx, argmax) = Pool2D.globalMaxForward(input: x)
            let dx = Pool2D.globalMaxBackward(outputGradient: probe, argmax: argmax,
                                              inputShape: shape)
            assertClose(mx, x.max(alongAxis: x.rank - 1).max(alongAxis: x.rank - 2),
                        tolerance: 0, "global max equals max over both axes")
            GradientCheck.assertGradients(inputs: [x], analytic: [dx], tolerance: 1e-3,
                                          "max \(shape)") { t in
                GradientCheck.probe(Pool2D.globalMaxForward(input: t[0]).output, weights: probe)
            }
        }
    }

    func testUpsampling() {
        var rng = SeededGenerator(seed: 5)
        for (shape, factor) in [([2, 3, 4, 5], 2), ([2, 2, 3, 3], 3), ([2, 1, 2, 3, 4], 2)] {
            let x = Tensor.gaussian(shape: shape, generator: &rng)
            let nearest = UpsampleKernels.nearestForward(input: x, factor: factor)
            let probe = Tensor.gaussian(shape: nearest.shape, generator: &rng)
            GradientCheck.assertGradients(
                inputs: [x],
                analytic: [UpsampleKernels.nearestBackward(outputGradient: probe, factor: factor)],
                tolerance: 1e-3, "nearest \(shape) ×\(factor)"
            ) { t in
                GradientCheck.probe(UpsampleKernels.nearestForward(input: t[0], factor: factor),
                                    weights: probe)
            }
            GradientCheck.assertGradients(
                inputs: [x],
                analytic: [UpsampleKernels.bilinearBackward(outputGradient: probe, factor: factor)],
                tolerance: 1e-3, "bilinear \(shape) ×\(factor)"
            ) { t in
                GradientCheck.probe(UpsampleKernels.bilinearForward(input: t[0], factor: factor),
                                    weights: probe)
            }
        }
    }

    func testBatchNormTrainingAndInference() {
        var rng = SeededGenerator(seed: 6)
        for shape in [[4, 3, 5, 6], [3, 2, 4, 3, 3], [5, 4]] {
            let channels = shape[1]
            let x = Tensor.gaussian(shape: shape, mean: 0.5, std: 2, generator: &rng)
            let gamma = Tensor.uniform(shape: [channels], low: 0.5, high: 1.5, generator: &rng)
            let beta = Tensor.gaussian(shape: [channels], generator: &rng)
            for training in [true, false] {
                var runningMean = Tensor.gaussian(shape: [channels], std: 0.1, generator: &rng)
                var runningVar = Tensor.uniform(shape: [channels], low: 0.5, high: 2,
                                                generator: &rng)
                let (savedMean, savedVar) = (runningMean, runningVar)
                let (y, cache) = BatchNorm.forward(input: x, gamma: gamma, beta: beta,
                                                   runningMean: &runningMean,
                                                   runningVariance: &runningVar,
                                                   training: training)
                let probe = Tensor.gaussian(shape: y.shape, generator: &rng)
                let g = BatchNorm.backward(outputGradient: probe, cache: cache)
                GradientCheck.assertGradients(
                    inputs: [x, gamma, beta], analytic: [g.input, g.gamma, g.beta],
                    epsilon: 1e-2, tolerance: 1e-3, "shape \(shape) training \(training)"
                ) { t in
                    var m = savedMean, v = savedVar
                    return GradientCheck.probe(
                        BatchNorm.forward(input: t[0], gamma: t[1], beta: t[2], runningMean: &m,
                                          runningVariance: &v, training: training).output,
                        weights: probe)
                }
            }
        }
    }

    func testActivations() {
        var rng = SeededGenerator(seed: 7)
        for shape in [[2, 3, 5], [3, 4, 4]] {
            // Values spaced 0.1 apart around 0 (never within ε = 0.01 of the kink at 0).
            let x = separated(shape: shape, rng: &rng).map { $0 + 0.05 }
            let probe = Tensor.gaussian(shape: shape, generator: &rng)
            let cases: [(String, (Tensor) -> Tensor, Tensor)] = [
                ("relu", Activation.reluForward,
                 Activation.reluBackward(outputGradient: probe, input: x)),
                ("leaky", { Activation.leakyReluForward($0, slope: 0.2) },
                 Activation.leakyReluBackward(outputGradient: probe, input: x, slope: 0.2)),
                ("elu", { Activation.eluForward($0, alpha: 1.5) },
                 Activation.eluBackward(outputGradient: probe, input: x, alpha: 1.5)),
                ("sigmoid", Activation.sigmoidForward,
                 Activation.sigmoidBackward(outputGradient: probe,
                                            output: Activation.sigmoidForward(x))),
                ("tanh", Activation.tanhForward,
                 Activation.tanhBackward(outputGradient: probe, output: Activation.tanhForward(x))),
            ]
            for (name, forward, analytic) in cases {
                GradientCheck.assertGradients(inputs: [x], analytic: [analytic], epsilon: 1e-3,
                                              tolerance: 1e-3, "\(name) \(shape)") { t in
                    GradientCheck.probe(forward(t[0]), weights: probe)
                }
            }
        }
    }

    func testDropout() {
        var rng = SeededGenerator(seed: 8)
        let x = Tensor.gaussian(shape: [4, 3, 5], generator: &rng)
        var maskRng = SeededGenerator(seed: 80)
        let (y, mask) = DropoutKernels.forward(input: x, probability: 0.3, generator: &maskRng)
        XCTAssertTrue(mask.storage.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
        assertClose(y, x * mask, tolerance: 0)
        let probe = Tensor.gaussian(shape: x.shape, generator: &rng)
        GradientCheck.assertGradients(
            inputs: [x], analytic: [DropoutKernels.backward(outputGradient: probe, mask: mask)],
            tolerance: 1e-3
        ) { t in
            var replay = SeededGenerator(seed: 80)
            return GradientCheck.probe(
                DropoutKernels.forward(input: t[0], probability: 0.3, generator: &replay).output,
                weights: probe)
        }
    }

    func testSoftmaxAndLogSoftmax() {
        var rng = SeededGenerator(seed: 9)
        for (shape, axis) in [([3, 5], 1), ([2, 4, 3, 3], 1), ([2, 3, 4], 2)] {
            let x = Tensor.gaussian(shape: shape, std: 2, generator: &rng)
            let probe = Tensor.gaussian(shape: shape, generator: &rng)
            let y = Softmax.forward(logits: x, axis: axis)
            let sums = y.sum(alongAxis: axis)
            assertClose(sums, Tensor(zeros: sums.shape, value: 1),
                        tolerance: 1e-6, "softmax sums to 1")
            GradientCheck.assertGradients(
                inputs: [x],
                analytic: [Softmax.backward(outputGradient: probe, output: y, axis: axis)],
                epsilon: 1e-3, tolerance: 1e-3, "softmax \(shape) axis \(axis)"
            ) { t in
                GradientCheck.probe(Softmax.forward(logits: t[0], axis: axis), weights: probe)
            }
            let logY = Softmax.logSoftmaxForward(logits: x, axis: axis)
            assertClose(logY.map { Float(exp(Double($0))) }, y, tolerance: 1e-6)
            GradientCheck.assertGradients(
                inputs: [x],
                analytic: [Softmax.logSoftmaxBackward(outputGradient: probe, output: logY,
                                                      axis: axis)],
                epsilon: 1e-3, tolerance: 1e-3, "log-softmax \(shape) axis \(axis)"
            ) { t in
                GradientCheck.probe(Softmax.logSoftmaxForward(logits: t[0], axis: axis),
                                    weights: probe)
            }
        }
    }

    func testPooledCrossEntropyAgainstNaiveSumsAndFiniteDifferences() {
        var rng = SeededGenerator(seed: 12)
        // D4's poses pooled by quarter turn (r0…r3, then their mirror images), and uneven
        // pools on a (N, C, H, W) map.
        for (shape, pools) in [([6, 8], [0, 1, 2, 3, 0, 1, 2, 3]), ([2, 3, 2, 2], [1, 0, 1])] {
            let x = Tensor.gaussian(shape: shape, std: 2, generator: &rng)
            let inner = shape.dropFirst(2).reduce(1, *)
            let positions = shape[0] * inner
            let targets = (0..<positions).map { _ in Int32(rng.nextInt(below: shape[1])) }
            let pooled = Loss.pooledCrossEntropy(logits: x, targets: targets, pools: pools)
            var naive = 0.0
            for n in 0..<shape[0] {
                for i in 0..<inner {
                    let logits = (0..<shape[1]).map {
                        Double(x.storage[(n * shape[1] + $0) * inner + i])
                    }
                    let total = logits.map(exp).reduce(0, +)
                    let pool = pools[Int(targets[n * inner + i])]
                    let inPool = logits.indices.filter { pools[$0] == pool }
                        .map { exp(logits[$0]) }.reduce(0, +)
                    naive -= log(inPool / total)
                }
            }
            XCTAssertEqual(Double(pooled.loss), naive / Double(positions), accuracy: 1e-5)
            GradientCheck.assertGradients(inputs: [x], analytic: [pooled.gradient],
                                          epsilon: 1e-3, tolerance: 1e-3,
                                          "pooled cross-entropy \(shape)") { t in
                Double(Loss.pooledCrossEntropy(logits: t[0], targets: targets, pools: pools).loss)
            }
            // One class per pool: plain cross-entropy, value and gradient.
            let alone = Loss.pooledCrossEntropy(logits: x, targets: targets,
                                                pools: Array(0..<shape[1]))
            let plain = Loss.crossEntropy(logits: x, targets: targets)
            XCTAssertEqual(alone.loss, plain.loss, accuracy: 1e-5)
            assertClose(alone.gradient, plain.gradient, tolerance: 1e-6)
        }
    }

    func testLossGradients() {
        var rng = SeededGenerator(seed: 10)
        for shape in [[5, 4], [2, 3, 3, 4]] {
            let x = Tensor.gaussian(shape: shape, generator: &rng)
            let positions = shape[0] * shape.dropFirst(2).reduce(1, *)
            var targets = (0..<positions).map { _ in Int32(rng.nextInt(below: shape[1])) }
            targets[1] = 2  // ignored below
            let weights: [Float] = (0..<shape[1]).map { _ in 0.5 + rng.nextFloat() }
            let ce = Loss.crossEntropy(logits: x, targets: targets, classWeights: weights,
                                       ignoreIndex: 2)
            GradientCheck.assertGradients(inputs: [x], analytic: [ce.gradient], epsilon: 1e-3,
                                          tolerance: 1e-3, "cross-entropy \(shape)") { t in
                Double(Loss.crossEntropy(logits: t[0], targets: targets, classWeights: weights,
                                         ignoreIndex: 2).loss)
            }
            let dice = Loss.softDice(logits: x, targets: targets, classWeights: weights)
            GradientCheck.assertGradients(inputs: [x], analytic: [dice.gradient], epsilon: 1e-3,
                                          tolerance: 1e-3, "dice \(shape)") { t in
                Double(Loss.softDice(logits: t[0], targets: targets, classWeights: weights).loss)
            }
            let probabilities = Tensor.uniform(shape: shape, generator: &rng)
            let bce = Loss.binaryCrossEntropyWithLogits(logits: x, targets: probabilities,
                                                        positiveWeight: 2.5)
            GradientCheck.assertGradients(inputs: [x], analytic: [bce.gradient], epsilon: 1e-3,
                                          tolerance: 1e-3, "bce \(shape)") { t in
                Double(Loss.binaryCrossEntropyWithLogits(logits: t[0], targets: probabilities,
                                                         positiveWeight: 2.5).loss)
            }
        }
    }
}
