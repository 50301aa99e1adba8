import XCTest
import NeuralNet
import TensorCore
import _TestSupport
@testable import Equivariance

/// Every non-convolution layer, checked for every element of C4 and D4.
final class LayerEquivarianceTests: XCTestCase {
    private let groups: [Group] = [.c4, .d4]

    private func run(_ layer: Module, _ x: Tensor) -> Tensor {
        GradientTape.withoutRecording { layer(Variable(x)).value }
    }

    /// Checks a layer mapping regular maps to regular maps.
    private func checkRegular(_ name: String, _ layer: Module, extent: Int = 8, fields: Int = 3,
                              tolerance: Double = 1e-4) {
        var rng = SeededGenerator(seed: UInt64(name.count))
        for group in groups {
            EquivarianceCheck.assertEquivariant(
                "\(name) \(group)", elements: group.elements,
                input: rng.signedTensor([2, fields, group.order, extent, extent]),
                tolerance: tolerance,
                function: { self.run(layer, $0) },
                inputAction: { group.transformRegular($0, by: $1) },
                outputAction: { group.transformRegular($0, by: $1) })
        }
    }

    func testBatchNormInBothModes() {
        let norm = GroupBatchNorm(fields: 3)
        norm.gamma.value = Tensor(shape: [3], storage: [1.5, -0.5, 2])
        norm.beta.value = Tensor(shape: [3], storage: [0.1, 0.2, -0.3])
        checkRegular("group batch norm (training)", norm)
        norm.runningMean.value = Tensor(shape: [3], storage: [0.2, -0.1, 0.4])
        norm.runningVariance.value = Tensor(shape: [3], storage: [0.5, 2, 1])
        norm.eval()
        checkRegular("group batch norm (eval)", norm)
    }

    func testBatchNormSharesStatisticsOverPoses() {
        // One field whose poses have different means: per-field statistics normalise them
        // jointly, so the pose means stay different (a per-channel norm would zero them all).
        let norm = GroupBatchNorm(fields: 1)
        let x = Tensor(shape: [1, 1, 4, 1, 2], storage: [0, 0, 1, 1, 2, 2, 3, 3])
        let y = run(norm, x)
        XCTAssertEqual(y.storage[0], -y.storage[7], accuracy: 1e-5)
        XCTAssertLessThan(y.storage[0], -1)
    }

    func testPointwiseNonlinearities() {
        for function in [PointwiseNonlinearity.Function.relu, .leakyRelu, .elu, .tanh] {
            checkRegular("pointwise \(function)", PointwiseNonlinearity(function))
        }
    }

    func testSpatialPoolingAndUpsampling() {
        checkRegular("spatial max pool 2", SpatialPooling(.max, size: 2))
        checkRegular("spatial average pool 2", SpatialPooling(.average, size: 2))
        checkRegular("spatial max pool 4", SpatialPooling(.max, size: 4))
        checkRegular("nearest upsampling ×2", SpatialUpsampling(.nearest, factor: 2), extent: 5)
        checkRegular("bilinear upsampling ×2", SpatialUpsampling(.bilinear, factor: 2), extent: 5)
        checkRegular("nearest upsampling ×3", SpatialUpsampling(.nearest, factor: 3), extent: 4)
    }

    func testGroupPoolingIsInvariantOverPoses() {
        var rng = SeededGenerator(seed: 21)
        for kind in [GroupPooling.Kind.max, .mean] {
            let pool = GroupPooling(kind)
            for group in groups {
                EquivarianceCheck.assertEquivariant(
                    "group pooling \(kind) \(group)", elements: group.elements,
                    input: rng.signedTensor([2, 3, group.order, 6, 7]),
                    function: { self.run(pool, $0) },
                    inputAction: { group.transformRegular($0, by: $1) },
                    outputAction: { group.transformPlanes($0, by: $1) })
            }
        }
        let x = Tensor(shape: [1, 1, 4, 1, 1], storage: [1, 5, -2, 3])
        XCTAssertEqual(run(GroupPooling(.max), x).storage, [5])
        XCTAssertEqual(run(GroupPooling(.mean), x).storage, [1.75])
    }

    func testGlobalPoolingHeadAndDropoutInEval() {
        var rng = SeededGenerator(seed: 22)
        var gen = SeededGenerator(seed: 22)
        let head = LinearHead(inputFeatures: 3, outputFeatures: 5, generator: &gen)
        let dropout = GroupDropout(probability: 0.5)
        dropout.eval()
        for kind in [GlobalPooling.Kind.max, .mean] {
            let global = GlobalPooling(kind)
            for group in groups {
                EquivarianceCheck.assertInvariant(
                    "global \(kind) pool + linear head \(group)", elements: group.elements,
                    input: rng.signedTensor([2, 3, 6, 6]),
                    function: { self.run(head, self.run(global, self.run(dropout, $0))) },
                    inputAction: { group.transformPlanes($0, by: $1) })
            }
        }
        // Dropout is active in training: roughly half the samples vanish.
        dropout.train()
        let dropped = run(dropout, Tensor(zeros: [1000], value: 1).reshaped([10, 100]))
        let zeros = dropped.storage.filter { $0 == 0 }.count
        XCTAssertTrue((400...600).contains(zeros), "\(zeros) of 1000 dropped at p = 0.5")
    }

    /// Group pooling (mean and max) and group batch norm through the tape, against
    /// `GradientCheck` central differences; tolerance 1e-3. Max pooling is piecewise linear, so
    /// its steps shrink where a difference would straddle a tie between poses.
    func testLayerGradientsMatchFiniteDifferences() {
        var rng = SeededGenerator(seed: 23)
        let layers: [(Module, piecewiseLinear: Bool)] = [
            (GroupPooling(.mean), false), (GroupPooling(.max), true),
            (GroupBatchNorm(fields: 2), false),
        ]
        for (layer, piecewiseLinear) in layers {
            let input = Variable(rng.signedTensor([2, 2, 4, 3, 3]), requiresGrad: true)
            let projection = rng.signedTensor(run(layer, input.value).shape)
            layer(input).backward(seed: projection)
            guard let analytic = input.grad else { XCTFail("no gradient"); continue }
            let loss: ([Tensor]) -> Double = { values in
                GradientCheck.probe(self.run(layer, values[0]), weights: projection)
            }
            let result = piecewiseLinear
                ? GradientCheck.checkPiecewiseLinear(inputs: [input.value], function: loss,
                                                     analytic: [analytic], maximumSamples: 40)
                : GradientCheck.check(inputs: [input.value], function: loss,
                                      analytic: [analytic], maximumSamples: 40)
            print("gradient \(type(of: layer)): \(result)")
            XCTAssertLessThanOrEqual(result.worstError, 1e-3,
                                     "gradient check of \(type(of: layer)): \(result)")
        }
    }
}
