import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// Gradients through the tape against central finite differences (`GradientCheck`): each
/// tape operation on its own, then a small network with a skip connection, a concatenation
/// join and a weighted sum of losses, with respect to its input and every parameter.
///
/// Every forward is Float32 and the loss is differenced in Float64 (the probe loss is also
/// summed in Float64). Tolerance: worst |analytic − numerical| / max(1, |analytic|,
/// |numerical|) ≤ 1e-3 with ε = 1e-2 (truncation O(ε²·f‴) ≈ 2e-5·f‴, rounding
/// O(6e-8·|y| / ε) ≈ 1e-5 per output moved); the worst error is reported on failure. Inputs of
/// ReLU-like and max-pool operations are kept further than ε from every kink.
final class TapeGradientTests: XCTestCase {
    private var generator = SeededGenerator(seed: 2024)

    private func random(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor.gaussian(shape: shape, std: scale, generator: &generator)
    }

    /// Checks the tape gradients of `build` with respect to every input through the probe
    /// loss Σ w·y with random w.
    @discardableResult
    private func checkOperation(_ name: String, inputs: [Tensor], epsilon: Float = 1e-2,
                                tolerance: Double = 1e-3,
                                file: StaticString = #filePath, line: UInt = #line,
                                _ build: @escaping ([Variable]) -> Variable)
        -> GradientCheck.Result {
        let variables = inputs.map { Variable($0, requiresGrad: true) }
        let output = build(variables)
        let weights = random(output.shape)
        output.backward(seed: weights)
        let analytic = variables.map { $0.grad ?? Tensor(zeros: $0.shape) }
        return GradientCheck.assertGradients(
            inputs: inputs, analytic: analytic, epsilon: epsilon, tolerance: tolerance,
            name, file: file, line: line) { tensors in
            GradientTape.withoutRecording {
                GradientCheck.probe(build(tensors.map { Variable($0) }).value, weights: weights)
            }
        }
    }

    func testElementwiseAndShapeOperations() {
        let a = random([2, 3, 4]), b = random([2, 3, 4])
        checkOperation("add", inputs: [a, b]) { $0[0] + $0[1] }
        checkOperation("subtract", inputs: [a, b]) { $0[0] - $0[1] }
        checkOperation("multiply", inputs: [a, b]) { $0[0] * $0[1] }
        checkOperation("scale", inputs: [a]) { 2.5 * $0[0] }
        checkOperation("same variable twice", inputs: [a]) { $0[0] * $0[0] + $0[0] }
        checkOperation("reshape", inputs: [a]) { Functional.reshape($0[0], [4, -1]) }
        checkOperation("flatten", inputs: [a]) { Functional.flatten($0[0]) }
        checkOperation("permute", inputs: [a]) { Functional.permute($0[0], [2, 0, 1]) }
        checkOperation("concatenate", inputs: [a, random([2, 1, 4]), b]) {
            Functional.concatenate($0, axis: 1)
        }
        checkOperation("slice", inputs: [a]) { Functional.slice($0[0], axis: 2, range: 1..<3) }
        checkOperation("sum", inputs: [a]) { Functional.sum($0[0]) }
        checkOperation("mean", inputs: [a]) { Functional.mean($0[0]) }
    }

    func testActivationsAndSoftmax() {
        // Inputs kept away from the kinks at 0 by more than ε.
        let x = random([2, 3, 5]).map { $0 + ($0 >= 0 ? 0.1 : -0.1) }
        checkOperation("relu", inputs: [x]) { Functional.relu($0[0]) }
        checkOperation("leakyRelu", inputs: [x]) { Functional.leakyRelu($0[0], slope: 0.2) }
        checkOperation("elu", inputs: [x]) { Functional.elu($0[0], alpha: 0.7) }
        checkOperation("sigmoid", inputs: [x]) { Functional.sigmoid($0[0]) }
        checkOperation("softmax", inputs: [x]) { Functional.softmax($0[0], axis: 1) }
        checkOperation("logSoftmax", inputs: [x]) { Functional.logSoftmax($0[0], axis: 2) }
        checkOperation("dropout", inputs: [x]) { inputs in
            var generator = SeededGenerator(seed: 5)  // the same mask at every evaluation
            return Functional.dropout(inputs[0], probability: 0.3, generator: &generator)
        }
    }

    func testConvolutionLinearPoolingUpsampling() {
        let image = random([2, 3, 5, 6])
        let weight = random([4, 3, 3, 3], scale: 0.3), bias = random([4])
        checkOperation("conv2d stride 2 padding 1", inputs: [image, weight, bias]) {
            Functional.conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        }
        checkOperation("conv2d without bias", inputs: [image, weight]) {
            Functional.conv2d($0[0], weight: $0[1], padding: 1)
        }
        checkOperation("linear", inputs: [random([3, 5]), random([2, 5]), random([2])]) {
            Functional.linear($0[0], weight: $0[1], bias: $0[2])
        }
        // Distinct, well-separated samples so that no window has a near tie.
        var order = Array(0..<(2 * 3 * 6 * 6))
        order.shuffle(using: &generator)
        let separated = Tensor(shape: [2, 3, 6, 6], storage: order.map { Float($0) * 0.05 })
        checkOperation("maxPool2d", inputs: [separated]) {
            Functional.maxPool2d($0[0], kernelSize: 2)
        }
        checkOperation("maxPool2d k3 s2", inputs: [separated]) {
            Functional.maxPool2d($0[0], kernelSize: 3, stride: 2)
        }
        checkOperation("globalMaxPool", inputs: [separated]) { Functional.globalMaxPool($0[0]) }
        checkOperation("avgPool2d", inputs: [image]) {
            Functional.avgPool2d($0[0], kernelSize: 2, stride: 1)
        }
        checkOperation("globalAvgPool", inputs: [image]) { Functional.globalAvgPool($0[0]) }
        checkOperation("upsampleNearest", inputs: [image]) {
            Functional.upsampleNearest($0[0], factor: 2)
        }
        checkOperation("upsampleBilinear", inputs: [image]) {
            Functional.upsampleBilinear($0[0], factor: 3)
        }
    }

    func testBatchNormInBothModes() {
        let x = random([3, 2, 4, 3])
        let gamma = random([2]), beta = random([2])
        checkOperation("batchNorm training", inputs: [x, gamma, beta]) {
            Functional.batchNorm($0[0], gamma: $0[1], beta: $0[2],
                                 runningMean: Buffer(Tensor(zeros: [2])),
                                 runningVariance: Buffer(Tensor(zeros: [2], value: 1)),
                                 training: true)
        }
        checkOperation("batchNorm evaluation, rank 5", inputs: [random([2, 2, 3, 2, 2]), gamma,
                                                                beta]) {
            Functional.batchNorm($0[0], gamma: $0[1], beta: $0[2],
                                 runningMean: Buffer(Tensor(shape: [2], storage: [0.3, -0.2])),
                                 runningVariance: Buffer(Tensor(shape: [2], storage: [2, 0.5])),
                                 training: false)
        }
    }

    func testLossesAsTapeOperations() {
        let logits = random([3, 4, 2, 2])
        let targets: [Int32] = (0..<12).map { Int32($0 % 4) }
        checkOperation("crossEntropy with weights and ignore index", inputs: [logits]) {
            Functional.crossEntropy(logits: $0[0], targets: targets.map { $0 == 3 ? -1 : $0 },
                                    classWeights: [1, 2, 0.5, 1], ignoreIndex: -1)
        }
        checkOperation("softDice", inputs: [logits]) {
            Functional.softDice(logits: $0[0], targets: targets, classWeights: [1, 1, 2, 0.5])
        }
        let probabilities = Tensor.uniform(shape: [3, 4, 2, 2], generator: &generator)
        checkOperation("binaryCrossEntropyWithLogits", inputs: [logits]) {
            Functional.binaryCrossEntropyWithLogits(logits: $0[0], targets: probabilities,
                                                    positiveWeight: 2)
        }
        checkOperation("meanSquaredError", inputs: [logits]) {
            Functional.meanSquaredError($0[0], targets: probabilities)
        }
        checkOperation("weightedSum", inputs: [logits]) {
            Functional.weightedSum([
                (0.7, Functional.crossEntropy(logits: $0[0], targets: targets)),
                (0.3, Functional.softDice(logits: $0[0], targets: targets)),
                (2.0, Functional.mean($0[0])),
            ])
        }
    }

    /// A small U-Net-like network: two paths joined by concatenation, a residual addition,
    /// batch norm, pooling and upsampling, a linear head and a weighted sum of two losses.
    private final class SkipNetwork: Module {
        let inputConv: Conv2d
        let norm = BatchNorm2d(featureCount: 4)
        let innerConv: Conv2d
        let joinConv: Conv2d
        let residualConv: Conv2d
        let head: Linear

        init(generator: inout SeededGenerator) {
            inputConv = Conv2d(inputChannels: 2, outputChannels: 4, kernelSize: 3, padding: 1,
                               generator: &generator)
            innerConv = Conv2d(inputChannels: 4, outputChannels: 4, kernelSize: 3, padding: 1,
                               generator: &generator)
            joinConv = Conv2d(inputChannels: 8, outputChannels: 3, kernelSize: 3, stride: 2,
                              padding: 1, generator: &generator)
            residualConv = Conv2d(inputChannels: 3, outputChannels: 3, kernelSize: 1,
                                  initializer: .xavierNormal, generator: &generator)
            head = Linear(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        }

        override func forward(_ x: Variable) -> Variable {
            let skip = Functional.elu(norm(inputConv(x)))                  // (N, 4, 6, 6)
            let down = Functional.avgPool2d(skip, kernelSize: 2)           // (N, 4, 3, 3)
            let inner = Functional.elu(innerConv(down))                    // (N, 4, 3, 3)
            let up = Functional.upsampleNearest(inner, factor: 2)          // (N, 4, 6, 6)
            let joined = joinConv(Functional.concatenate([skip, up]))      // (N, 3, 3, 3)
            let residual = joined + residualConv(Functional.sigmoid(joined))
            return head(Functional.globalAvgPool(residual))                // (N, 2)
        }
    }

    func testSmallNetworkWithSkipConnectionsMatchesFiniteDifferences() {
        var initGenerator = SeededGenerator(seed: 11)
        let network = SkipNetwork(generator: &initGenerator)
        let parameters = network.namedParameters()
        XCTAssertEqual(parameters.count, 12)
        let input = random([3, 2, 6, 6])
        let targets: [Int32] = [0, 1, 1]

        func loss(_ x: Variable) -> Variable {
            let logits = network(x)
            return Functional.weightedSum([
                (0.6, Functional.crossEntropy(logits: logits, targets: targets)),
                (0.4, Functional.softDice(logits: logits, targets: targets)),
            ])
        }

        let x = Variable(input, requiresGrad: true)
        network.zeroGradients()
        loss(x).backward()
        let analytic = [x.grad ?? Tensor(zeros: input.shape)]
            + parameters.map { $0.parameter.grad ?? Tensor(zeros: $0.parameter.shape) }
        XCTAssertTrue(parameters.allSatisfy { $0.parameter.grad != nil },
                      "every parameter must receive a gradient")

        let result = GradientCheck.assertGradients(
            inputs: [input] + parameters.map(\.parameter.value), analytic: analytic,
            epsilon: 1e-2, tolerance: 1e-3) { tensors in
            for ((_, parameter), value) in zip(parameters, tensors.dropFirst()) {
                parameter.value = value
            }
            return GradientTape.withoutRecording {
                Double(loss(Variable(tensors[0])).value.storage[0])
            }
        }
        XCTAssertGreaterThan(result.checked, 500)
        print("skip network gradient check: \(result)")
    }

    func testNothingIsRecordedWithoutGradientsOrInsideWithoutRecording() {
        let w = Variable(random([2, 2]), requiresGrad: true)
        let x = Variable(random([3, 2]))
        XCTAssertTrue(Functional.linear(x, weight: w).requiresGrad)
        XCTAssertFalse(Functional.relu(x).requiresGrad, "no parent needs a gradient")
        let inference = GradientTape.withoutRecording { Functional.linear(x, weight: w) }
        XCTAssertFalse(inference.requiresGrad)
    }
}
