import NeuralNet
import TensorCore
import XCTest

/// Optimiser steps against values computed by hand (Python float64 arithmetic written out in
/// the comments), schedules and gradient clipping. Tolerance 1e-6 absolute on O(1) values.
final class OptimizerTests: XCTestCase {
    private let tolerance: Float = 1e-6

    /// A module with one parameter θ = [1, -2].
    private final class Single: Module {
        let theta = Variable(Tensor(shape: [2], storage: [1, -2]), requiresGrad: true)
        let frozen = Variable(Tensor(shape: [1], storage: [5]), requiresGrad: false)
    }

    /// Gradients of the two steps: g1 = [0.5, 0.25], g2 = [-1, 2].
    private let gradients = [Tensor(shape: [2], storage: [0.5, 0.25]),
                             Tensor(shape: [2], storage: [-1, 2])]

    private func run(_ optimizer: Optimizer, on module: Single) -> [[Float]] {
        var trajectory: [[Float]] = []
        for gradient in gradients {
            optimizer.zeroGradients()
            module.theta.grad = gradient
            module.frozen.grad = Tensor(shape: [1], storage: [100])
            optimizer.step()
            trajectory.append(module.theta.value.storage)
        }
        return trajectory
    }

    private func assertTrajectory(_ actual: [[Float]], _ expected: [[Float]],
                                  file: StaticString = #filePath, line: UInt = #line) {
        var worst: Float = 0
        for (a, e) in zip(actual.joined(), expected.joined()) { worst = max(worst, abs(a - e)) }
        XCTAssertLessThanOrEqual(worst, tolerance, "worst error \(worst); got \(actual)",
                                 file: file, line: line)
    }

    func testPlainSGD() {
        let module = Single()
        // θ1 = θ0 − 0.1·g1 = [0.95, −2.025]; θ2 = θ1 − 0.1·g2 = [1.05, −2.225]
        assertTrajectory(run(SGD(module: module, learningRate: 0.1), on: module),
                         [[0.95, -2.025], [1.05, -2.225]])
        XCTAssertEqual(module.frozen.value.storage, [5], "frozen parameters are not optimised")
    }

    func testSGDWithMomentumAndWeightDecay() {
        let module = Single()
        // μ = 0.9, λ = 0.01. Step 1: g = 0.5 + 0.01·1 = 0.51, b = 0.51, θ = 1 − 0.051 = 0.949.
        // Step 2: g = −1 + 0.01·0.949 = −0.99051, b = 0.9·0.51 − 0.99051 = −0.53151,
        // θ = 0.949 + 0.053151 = 1.002151. Second coordinate likewise.
        let optimizer = SGD(module: module, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        assertTrajectory(run(optimizer, on: module),
                         [[0.949, -2.023], [1.002151, -2.241677]])
        XCTAssertEqual(optimizer.stepCount, 2)
    }

    func testSGDWithNesterovMomentum() {
        let module = Single()
        // Step 1: g = 0.51, b = 0.51, d = 0.51 + 0.9·0.51 = 0.969, θ = 0.9031.
        // Step 2: g = −1 + 0.009031 = −0.990969, b = 0.459 − 0.990969 = −0.531969,
        // d = −0.990969 − 0.4787721 = −1.4697411, θ = 0.9031 + 0.14697411 = 1.05007411.
        let optimizer = SGD(module: module, learningRate: 0.1, momentum: 0.9, nesterov: true,
                            weightDecay: 0.01)
        assertTrajectory(run(optimizer, on: module),
                         [[0.9031, -2.0437], [1.05007411, -2.43844697]])
    }

    func testAdam() {
        let module = Single()
        // Step 1: m̂ = g, v̂ = g², so θ moves by 0.1·g/(|g| + 1e-8) ≈ 0.1 against the sign.
        // Step 2 (first coordinate): m = 0.9·0.05 − 0.1 = −0.055, v = 0.999·0.00025 + 0.001 =
        // 0.00124975; m̂ = −0.055/0.19 = −0.2894737, v̂ = 0.00124975/0.001999 = 0.6251876;
        // θ = 0.9 + 0.1·0.2894737/0.7906881 = 0.93661035.
        assertTrajectory(run(Adam(module: module, learningRate: 0.1), on: module),
                         [[0.900000002, -2.099999996], [0.93661035, -2.18214657]])
    }

    func testAdamWithL2WeightDecay() {
        let module = Single()
        assertTrajectory(run(Adam(module: module, learningRate: 0.1, weightDecay: 0.1),
                             on: module),
                         [[0.9000000017, -2.09999998], [0.92526352, -2.17625468]])
    }

    func testAdamWDecouplesWeightDecay() {
        let module = Single()
        // Step 1: θ ← 1·(1 − 0.1·0.1) = 0.99, then the Adam step −0.1 → 0.89.
        // Step 2: θ ← 0.89·0.99 = 0.8811, then the same moment update as in the Adam test
        // (the gradient does not depend on θ): θ = 0.8811 + 0.0366104 = 0.91771035.
        assertTrajectory(run(AdamW(module: module, learningRate: 0.1, weightDecay: 0.1),
                             on: module),
                         [[0.890000002, -2.079999996], [0.91771035, -2.14134657]])
    }

    /// Counts cache invalidations, as a layer caching derived weights would.
    private final class Caching: Module {
        let theta = Variable(Tensor(shape: [1], storage: [1]), requiresGrad: true)
        var invalidations = 0
        override func parametersOrModeDidChange() { invalidations += 1 }
    }

    func testEveryOptimizerStepLetsModulesDropCaches() {
        let module = Caching()
        let optimizers: [Optimizer] = [SGD(module: module, learningRate: 0.1),
                                       Adam(module: module), AdamW(module: module)]
        for (index, optimizer) in optimizers.enumerated() {
            module.theta.grad = Tensor(shape: [1], storage: [1])
            optimizer.step()
            XCTAssertEqual(module.invalidations, index + 1)
        }
    }

    func testStateRoundTripResumesIdentically() throws {
        // Two steps in one go versus one step, save, restore into a fresh optimiser, one step.
        let straight = Single()
        let expected = run(Adam(module: straight, learningRate: 0.1), on: straight)

        let first = Single()
        let optimizer = Adam(module: first, learningRate: 0.1)
        first.theta.grad = gradients[0]
        optimizer.step()
        let state = optimizer.stateDictionary()
        XCTAssertEqual(Set(state.keys), ["step", "m.theta", "v.theta"])
        let weights = first.stateDictionary()

        let resumed = Single()
        try resumed.load(stateDictionary: weights)
        let restored = Adam(module: resumed, learningRate: 0.1)
        try restored.load(stateDictionary: state)
        XCTAssertEqual(restored.stepCount, 1)
        resumed.theta.grad = gradients[1]
        restored.step()
        XCTAssertEqual(resumed.theta.value.storage, expected[1], "resume must be bit-identical")
    }

    func testOptimizerStateLoadErrorsNameTensors() {
        let module = Single()
        let optimizer = SGD(module: module, learningRate: 0.1, momentum: 0.9)
        var state = optimizer.stateDictionary()
        XCTAssertEqual(Set(state.keys), ["step", "momentum.theta"])
        state["momentum.theta"] = Tensor(zeros: [3])
        state["momentum.other"] = Tensor(zeros: [1])
        state["step"] = Tensor(shape: [1], storage: [-1])
        XCTAssertThrowsError(try optimizer.load(stateDictionary: state)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("momentum.theta"), text)
            XCTAssertTrue(text.contains("momentum.other"), text)
        }
        state["momentum.theta"] = Tensor(zeros: [2])
        state["momentum.other"] = nil
        XCTAssertThrowsError(try optimizer.load(stateDictionary: state)) {
            XCTAssertTrue("\($0)".contains("step"), "\($0)")
        }
    }

    func testSchedules() {
        let step = StepDecay(base: 1, stepSize: 3, gamma: 0.5)
        XCTAssertEqual((0..<7).map { step.learningRate(atStep: $0) },
                       [1, 1, 1, 0.5, 0.5, 0.5, 0.25])

        let cosine = CosineDecay(base: 1, totalSteps: 4, minimum: 0.2)
        // 0.2 + 0.8·(1 + cos(π·t/4))/2 for t = 0...4, then 0.2.
        let expected: [Float] = [1, 0.2 + 0.8 * Float((1 + 0.5.squareRoot()) / 2), 0.6,
                                 0.2 + 0.8 * Float((1 - 0.5.squareRoot()) / 2), 0.2, 0.2]
        for (t, value) in expected.enumerated() {
            XCTAssertEqual(cosine.learningRate(atStep: t), value, accuracy: 1e-6, "step \(t)")
        }

        let warm = LinearWarmup(steps: 4, then: StepDecay(base: 0.8, stepSize: 2, gamma: 0.5))
        XCTAssertEqual((0..<9).map { warm.learningRate(atStep: $0) },
                       [0, 0.2, 0.4, 0.6, 0.8, 0.8, 0.4, 0.4, 0.2])
        let partial = LinearWarmup(steps: 2, startFactor: 0.5, then: ConstantSchedule(rate: 2))
        XCTAssertEqual((0..<3).map { partial.learningRate(atStep: $0) }, [1, 1.5, 2])
    }

    func testGradientClippingUsesTheGlobalNorm() {
        let a = Variable(Tensor(zeros: [2]), requiresGrad: true)
        let b = Variable(Tensor(zeros: [1]), requiresGrad: true)
        let c = Variable(Tensor(zeros: [1]), requiresGrad: true)  // no gradient: ignored
        a.grad = Tensor(shape: [2], storage: [3, 0])
        b.grad = Tensor(shape: [1], storage: [-4])
        // Global norm √(9 + 16) = 5; clipping to 1 scales by 1/(5 + 1e-6).
        XCTAssertEqual(clipGradientNorm([a, b, c], maximumNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad?.storage[0] ?? 0, 0.6, accuracy: 1e-6)
        XCTAssertEqual(b.grad?.storage[0] ?? 0, -0.8, accuracy: 1e-6)
        XCTAssertNil(c.grad)
        // Below the limit nothing changes.
        XCTAssertEqual(clipGradientNorm([a, b], maximumNorm: 10), 1, accuracy: 1e-5)
        XCTAssertEqual(a.grad?.storage[0] ?? 0, 0.6, accuracy: 1e-6)
        // A NaN gradient leaves the others untouched and reports a non-finite norm.
        b.grad = Tensor(shape: [1], storage: [.nan])
        XCTAssertTrue(clipGradientNorm([a, b], maximumNorm: 0.1).isNaN)
        XCTAssertEqual(a.grad?.storage[0] ?? 0, 0.6, accuracy: 1e-6)
    }
}
