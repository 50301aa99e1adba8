import NeuralNet
import TensorCore
import XCTest
import _TestSupport
@testable import Equivariance

/// One evaluation-mode model serving several threads at once gives the outputs of sequential
/// calls, bit for bit, on both inference paths and while its caches fill concurrently.
final class ConcurrentInferenceTests: XCTestCase {
    /// What one thread computes for one batch: the fused path (`classify`, without the tape:
    /// folded-bank cache) and the tape path in evaluation mode (filter-bank cache).
    private struct Prediction: Sendable {
        var fused: Tensor  // (N, classes)
        var taped: Tensor  // (N, classes)
        var tapeRecorded: Bool
    }

    private static func predict(_ model: P4CNN, _ images: Tensor) throws -> Prediction {
        let taped = model(Variable(images))
        return Prediction(fused: try model.classify(images), taped: taped.value,
                          tapeRecorded: taped.requiresGrad)
    }

    func testEvalModeP4CNNPredictsFromSeveralThreadsAsSequentially() throws {
        let configuration = P4CNNConfiguration(
            group: .d4, fields: 2, hiddenGroupConvolutions: 1, padding: 1,
            poolAfterLayers: [1], finalKernelSize: 3, seed: 5)
        let model = try P4CNN(configuration: configuration)
        var generator = SeededGenerator(seed: 83)
        // One training pass gives the batch norms non-trivial running statistics to fold.
        model.train()
        _ = GradientTape.withoutRecording {
            model(Variable(Tensor.gaussian(shape: [4, 1, 16, 16], generator: &generator)))
        }
        model.eval()
        let batches = (0..<4).map { _ in
            Tensor.gaussian(shape: [2, 1, 16, 16], generator: &generator)  // (N, Cin, H, W)
        }
        let expected = try batches.map { try Self.predict(model, $0) }
        XCTAssertTrue(expected.allSatisfy(\.tapeRecorded), "eval mode still records the tape")
        XCTAssertNotEqual(expected[0].fused, expected[1].fused, "batches must differ")

        model.eval()  // drops the caches, so the threads fill them concurrently
        let shared = SharedUnderTest(model)  // untouched here until the threads end
        let rounds = 3
        let results = ConcurrentThreads.run(batches.count) { index in
            (0..<rounds).map { _ in try? Self.predict(shared.object, batches[index]) }
        }
        let perThread = try XCTUnwrap(results, "a thread did not finish")
        for (index, predictions) in perThread.enumerated() {
            for (round, prediction) in predictions.enumerated() {
                let prediction = try XCTUnwrap(prediction, "batch \(index) round \(round) threw")
                XCTAssertTrue(prediction.tapeRecorded,
                              "batch \(index) round \(round): another thread's "
                              + "withoutRecording switched this thread's tape off")
                assertBitwiseEqual(prediction.fused, expected[index].fused)
                assertBitwiseEqual(prediction.taped, expected[index].taped)
            }
        }
        let convolutions = model.layers.compactMap { $0 as? EquivariantConvolution }
        XCTAssertFalse(convolutions.isEmpty)
        XCTAssertTrue(convolutions.allSatisfy(\.hasCachedFilterBank))
    }
}
