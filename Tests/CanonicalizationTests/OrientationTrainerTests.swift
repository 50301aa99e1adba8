import Canonicalization
import Equivariance
import NeuralNet
import TensorCore
import XCTest

/// The orientation trainer's pieces on synthetic data (the real-scan figures are in
/// `OrientationTrainingTests`).
final class OrientationTrainerTests: XCTestCase {
    /// Each training input is the scorer input of its upright image turned by its target
    /// element, and targets cover the group.
    func testTurnedInputsMatchTheirTargets() throws {
        let canonicalizer = try smallCanonicalizer(group: .d4, size: 16)
        let trainer = OrientationTrainer(canonicalizer: canonicalizer,
                                         optimizer: Adam(module: canonicalizer))
        var generator = SeededGenerator(seed: 13)
        let images = (0..<24).map { _ in orientedImage(height: 20, width: 28,
                                                       generator: &generator) }
        let (inputs, targets) = trainer.turnedScorerInputs(upright: images, generator: &generator)
        XCTAssertEqual(inputs.shape, [24, 1, 16, 16])
        XCTAssertEqual(Set(targets).count, 8, "24 draws should reach every element: \(targets)")
        for (n, target) in targets.enumerated() {
            let expected = Group.d4.transformPlanes(canonicalizer.scorerInput(images[n]),
                                                    by: Group.d4.element(at: Int(target)))
            XCTAssertEqual(inputs.slice(axis: 0, range: n..<(n + 1)), expected)
        }
    }

    /// A batch tensor trains like a list: on one asymmetric image the loss falls and the
    /// applied turns are recovered.
    func testTrainingOnABatchTensorLearnsTheTurns() throws {
        let canonicalizer = try smallCanonicalizer(group: .c4, size: 16)
        let optimizer = Adam(module: canonicalizer, learningRate: 1e-2)
        let trainer = OrientationTrainer(canonicalizer: canonicalizer, optimizer: optimizer)
        XCTAssertTrue(canonicalizer.isTraining)
        var generator = SeededGenerator(seed: 19)
        let image = orientedImage(height: 16, width: 16, generator: &generator)
        let batch = Tensor.concatenate([Tensor](repeating: image, count: 8), axis: 0)
        var steps: [OrientationTrainingStep] = []
        for _ in 0..<40 { steps.append(trainer.step(upright: batch, generator: &generator)) }
        canonicalizer.eval()
        print("orientation trainer on one image: loss \(steps[0].loss) → "
              + "\(steps[steps.count - 1].loss)")
        XCTAssertLessThan(steps[steps.count - 1].loss, steps[0].loss)
        for g in Group.c4.elements {
            let pose = canonicalizer.estimatePoses(Group.c4.transformPlanes(image, by: g))[0]
            XCTAssertEqual(pose.element, g)
        }
    }
}
