import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// Layers against their kernels, modes, parameter names and initialiser statistics.
final class LayerTests: XCTestCase {
    func testLayerNamesResolveWithBothModulesImported() {
        // The layers own the short names; TensorCore's kernels are `LinearKernels`,
        // `DropoutKernels` and `UpsampleKernels`, so importing both modules is unambiguous.
        var generator = SeededGenerator(seed: 1)
        let linear = Linear(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        let dropout = Dropout(probability: 0.5)
        let upsample = Upsample(factor: 2)
        XCTAssertEqual(linear.weight.shape, [2, 3])
        XCTAssertEqual(dropout.probability, 0.5)
        XCTAssertEqual(upsample.factor, 2)
    }

    func testConvolutionAndLinearLayersUseTheirParameters() {
        var generator = SeededGenerator(seed: 3)
        let conv = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2,
                          padding: 1, generator: &generator)
        conv.bias?.value = Tensor(shape: [3], storage: [0.5, -1, 2])
        let x = Tensor.gaussian(shape: [2, 2, 7, 5], generator: &generator)
        let y = conv(Variable(x))
        XCTAssertEqual(y.shape, [2, 3, 4, 3])
        let expected = Conv2DKernels.referenceForward(input: x, weight: conv.weight.value,
                                                      bias: conv.bias?.value, stride: 2, padding: 1)
        assertClose(y.value, expected, tolerance: 1e-5)
        XCTAssertEqual(conv.namedParameters().map(\.name), ["weight", "bias"])

        let noBias = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 1, bias: false,
                            generator: &generator)
        XCTAssertEqual(noBias.namedParameters().map(\.name), ["weight"])

        let linear = Linear(inputFeatures: 4, outputFeatures: 2, generator: &generator)
        let features = Tensor.gaussian(shape: [3, 4], generator: &generator)
        let output = linear(Variable(features))
        for n in 0..<3 {
            for o in 0..<2 {
                var expected: Float = 0
                for f in 0..<4 { expected += features[n, f] * linear.weight.value[o, f] }
                XCTAssertEqual(output.value[n, o], expected, accuracy: 1e-5)
            }
        }
    }

    func testBatchNormUsesBatchStatisticsInTrainingAndRunningOnesInEvaluation() {
        let norm = BatchNorm2d(featureCount: 2, momentum: 0.5)
        XCTAssertEqual(norm.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(norm.namedBuffers().map(\.name), ["runningMean", "runningVariance"])
        // Channel 0 holds 1, 3 (mean 2, biased variance 1, unbiased 2); channel 1 holds 0, 0.
        let x = Variable(Tensor(shape: [2, 2, 1, 1], storage: [1, 0, 3, 0]))
        let trained = norm(x)
        XCTAssertEqual(trained.value[0, 0, 0, 0], -1 / (1 + 1e-5 as Float).squareRoot(),
                       accuracy: 1e-5)
        // r ← 0.5·r + 0.5·statistic.
        XCTAssertEqual(norm.runningMean.value.storage, [1, 0])
        assertClose(norm.runningVariance.value.storage, [1.5, 0.5], tolerance: 1e-6)
        norm.eval()
        let evaluated = norm(x)
        // (1 − 1)/√(1.5 + ε) = 0 and (3 − 1)/√1.5.
        XCTAssertEqual(evaluated.value[0, 0, 0, 0], 0, accuracy: 1e-6)
        XCTAssertEqual(evaluated.value[1, 0, 0, 0], 2 / (1.5 as Float).squareRoot(),
                       accuracy: 1e-5)
        XCTAssertEqual(norm.runningMean.value.storage, [1, 0], "evaluation must not update")
        // Rank 2 (N, C) and rank 5 (N, C, G, H, W) inputs are accepted.
        XCTAssertEqual(norm(Variable(Tensor(zeros: [4, 2]))).shape, [4, 2])
        XCTAssertEqual(norm(Variable(Tensor(zeros: [1, 2, 4, 2, 2]))).shape, [1, 2, 4, 2, 2])
    }

    func testDropoutIsIdentityInEvaluationAndSeededInTraining() {
        let x = Variable(Tensor(zeros: [1000], value: 1))
        let first = Dropout(probability: 0.25, seed: 9)
        let second = Dropout(probability: 0.25, seed: 9)
        let a = first(x).value, b = second(x).value
        XCTAssertEqual(a, b, "the same seed gives the same mask")
        let zeros = a.storage.filter { $0 == 0 }.count
        XCTAssertTrue((180...320).contains(zeros), "\(zeros) of 1000 dropped at p = 0.25")
        XCTAssertTrue(a.storage.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3.0) < 1e-6 })
        first.eval()
        XCTAssertEqual(first(x).value, x.value)
    }

    func testPoolingUpsamplingAndSequentialShapesAndNames() {
        var generator = SeededGenerator(seed: 4)
        let model = Sequential(
            Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1,
                   generator: &generator),
            BatchNorm2d(featureCount: 4), ReLU(),
            MaxPool2d(kernelSize: 2), AvgPool2d(kernelSize: 3, stride: 1),
            Upsample(factor: 2, mode: .bilinear), LeakyReLU(), ELU(), Sigmoid(),
            GlobalAvgPool(), Dropout(probability: 0.1),
            Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator))
        let x = Variable(Tensor.gaussian(shape: [2, 1, 10, 10], generator: &generator))
        XCTAssertEqual(model(x).shape, [2, 3])
        XCTAssertEqual(model.namedParameters().map(\.name), [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
            "layers.11.weight", "layers.11.bias",
        ])
        XCTAssertEqual(Set(model.stateDictionary().keys).count, 8)
        XCTAssertEqual(GlobalMaxPool()(Variable(Tensor(zeros: [2, 3, 4, 4]))).shape, [2, 3])
        XCTAssertEqual(Flatten()(Variable(Tensor(zeros: [2, 3, 4, 4]))).shape, [2, 48])
    }

    func testInitialisersHaveTheirStatedSpreadAndAreSeeded() {
        // Weight (64, 32, 3, 3): fan-in 288, fan-out 576; 18 432 samples, so the sample std
        // is within ~1.5 % of the target (tolerance 4 %).
        let shape = [64, 32, 3, 3]
        XCTAssertTrue(Initializer.fans(of: shape) == (288, 576))
        func std(_ tensor: Tensor) -> Float {
            let mean = tensor.mean()
            return (tensor.map { ($0 - mean) * ($0 - mean) }.mean()).squareRoot()
        }
        let cases: [(Initializer, Float, Float?)] = [
            (.heNormal(), (2.0 / 288).squareRoot(), nil),
            (.heNormal(negativeSlope: 1), (1.0 / 288).squareRoot(), nil),
            (.heUniform(), (2.0 / 288).squareRoot(), (6.0 / 288).squareRoot()),
            (.xavierNormal, (2.0 / 864).squareRoot(), nil),
            (.xavierUniform, (2.0 / 864).squareRoot(), (6.0 / 864).squareRoot()),
        ]
        for (initializer, expectedStd, bound) in cases {
            var generator = SeededGenerator(seed: 77)
            let tensor = initializer.tensor(shape: shape, generator: &generator)
            XCTAssertEqual(std(tensor), expectedStd, accuracy: 0.04 * expectedStd,
                           "\(initializer)")
            if let bound {
                XCTAssertLessThanOrEqual(tensor.storage.map(abs).max() ?? 0, bound)
            }
            var again = SeededGenerator(seed: 77)
            XCTAssertEqual(initializer.tensor(shape: shape, generator: &again), tensor)
        }
        var generator = SeededGenerator(seed: 1)
        XCTAssertEqual(Initializer.constant(0.5).tensor(shape: [2], generator: &generator)
            .storage, [0.5, 0.5])
    }
}
