import TensorCore
import XCTest
import _TestSupport

/// Loss values against numbers worked out by hand (formulas in the comments).
final class LossValueTests: XCTestCase {
    func testCrossEntropyByHand() {
        // Logits [0, ln 3] → softmax [1/4, 3/4]; target 1 → −ln(3/4); target 0 → −ln(1/4).
        let logits = Tensor(shape: [2, 2], storage: [0, Float(log(3.0)), 0, Float(log(3.0))])
        let plain = Loss.crossEntropy(logits: logits, targets: [1, 0])
        assertClose(plain.loss, Float((-log(0.75) - log(0.25)) / 2), tolerance: 1e-6)
        // Gradient row 0: (p − onehot)/2 = ([1/4, 3/4] − [0, 1]) / 2.
        assertClose(plain.gradient, Tensor(shape: [2, 2], storage: [0.125, -0.125, -0.375, 0.375]),
                    tolerance: 1e-6)
        // Class weights [1, 3]: (3·(−ln ¾) + 1·(−ln ¼)) / (3 + 1).
        let weighted = Loss.crossEntropy(logits: logits, targets: [1, 0], classWeights: [1, 3])
        assertClose(weighted.loss, Float((3 * -log(0.75) + -log(0.25)) / 4), tolerance: 1e-6)
        // Ignoring class 0 leaves only the first row.
        let ignored = Loss.crossEntropy(logits: logits, targets: [1, 0], ignoreIndex: 0)
        assertClose(ignored.loss, Float(-log(0.75)), tolerance: 1e-6)
        assertClose(Array(ignored.gradient.storage[2...]), [0, 0], tolerance: 0)
        let allIgnored = Loss.crossEntropy(logits: logits, targets: [0, 0], ignoreIndex: 0)
        XCTAssertEqual(allIgnored.loss, 0)
    }

    func testBinaryCrossEntropyByHand() {
        // x = 0 → σ = ½: loss −ln ½ for either target; x = ln 3 → σ = ¾.
        let logits = Tensor(shape: [2], storage: [0, Float(log(3.0))])
        let targets = Tensor(shape: [2], storage: [1, 0])
        let result = Loss.binaryCrossEntropyWithLogits(logits: logits, targets: targets)
        assertClose(result.loss, Float((-log(0.5) - log(0.25)) / 2), tolerance: 1e-6)
        assertClose(result.gradient, Tensor(shape: [2], storage: [-0.25, 0.375]), tolerance: 1e-6)
        let weighted = Loss.binaryCrossEntropyWithLogits(logits: logits, targets: targets,
                                                         positiveWeight: 4)
        assertClose(weighted.loss, Float((4 * -log(0.5) - log(0.25)) / 2), tolerance: 1e-6)
        // Large logits stay finite.
        let extreme = Loss.binaryCrossEntropyWithLogits(
            logits: Tensor(shape: [2], storage: [100, -100]),
            targets: Tensor(shape: [2], storage: [0, 1]))
        assertClose(extreme.loss, 100, tolerance: 1e-3)
    }

    func testSoftDiceByHand() {
        // Two pixels, two classes, logits equal → p = ½ everywhere; targets [0, 1].
        // Per class: I = ½, Σp = 1, Σy = 1 → D = (2·½ + ε)/(2 + ε). With ε = 1: 2/3.
        let logits = Tensor(zeros: [1, 2, 1, 2])
        let result = Loss.softDice(logits: logits, targets: [0, 1], epsilon: 1)
        assertClose(result.loss, 1 - 2.0 / 3.0, tolerance: 1e-6)
        // Perfect, confident prediction → D ≈ 1 for both classes.
        let confident = Tensor(shape: [1, 2, 1, 2], storage: [30, -30, -30, 30])
        assertClose(Loss.softDice(logits: confident, targets: [0, 1], epsilon: 1e-6).loss, 0,
                    tolerance: 1e-5)
        // Weights [1, 0] count class 0 only: I = 1·… same ½ case → 1 − 2/3.
        assertClose(Loss.softDice(logits: logits, targets: [0, 0], classWeights: [1, 0],
                                  epsilon: 1).loss,
                    // class 0: I = 1, Σp = 1, Σy = 2 → (2 + 1)/(3 + 1) = 3/4.
                    0.25, tolerance: 1e-6)
    }

    func testWeightedSumCombinesLossesAndGradients() {
        let logits = Tensor(shape: [1, 2, 1, 2], storage: [1, -1, 0.5, 2])
        let ce = Loss.crossEntropy(logits: logits, targets: [0, 1])
        let dice = Loss.softDice(logits: logits, targets: [0, 1])
        let sum = Loss.weightedSum([(weight: 0.25, loss: ce), (weight: 0.75, loss: dice)])
        assertClose(sum.loss, 0.25 * ce.loss + 0.75 * dice.loss, tolerance: 1e-6)
        assertClose(sum.gradient, ce.gradient * 0.25 + dice.gradient * 0.75, tolerance: 1e-7)
    }
}
