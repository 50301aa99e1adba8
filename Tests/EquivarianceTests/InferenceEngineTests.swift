import NeuralNet
import TensorCore
import XCTest
import _TestSupport
@testable import Equivariance

/// Both models on both convolution engines: the oneDNN path equals the reference path to 1e-4
/// relative, and exact invariance / equivariance holds on each.
final class InferenceEngineTests: XCTestCase {
    private var savedEngine = ConvolutionEngine.reference

    override func setUp() {
        savedEngine = ConvolutionEngine.selected
    }

    override func tearDown() {
        ConvolutionEngine.selected = savedEngine
    }

    private func run(_ model: Module, _ x: Tensor, engine: ConvolutionEngine) -> Tensor {
        ConvolutionEngine.selected = engine
        return GradientTape.withoutRecording { model(Variable(x)).value }
    }

    /// Gives batch norms non-trivial running statistics by one training pass.
    private func warmUp(_ model: Module, _ x: Tensor) {
        model.train()
        _ = run(model, x, engine: .reference)
        model.eval()
    }

    /// Runs `model` on both engines and checks the oneDNN one really ran oneDNN everywhere.
    private func compareEngines(_ name: String, _ model: Module, _ x: Tensor,
                                file: StaticString = #filePath, line: UInt = #line) {
        let reference = run(model, x, engine: .reference)
        let convolutions = model.namedModules().compactMap { $0.module as? EquivariantConvolution }
        XCTAssertFalse(convolutions.contains { $0._foldedCache.hasOneDNNConvolution },
                       "\(name): the reference engine must not build oneDNN convolutions",
                       file: file, line: line)
        let oneDNN = run(model, x, engine: .onednn)
        XCTAssertTrue(convolutions.allSatisfy { $0._foldedCache.hasOneDNNConvolution },
                      "\(name): every convolution must run on oneDNN", file: file, line: line)
        let error = EquivarianceCheck.relativeError(oneDNN, reference)
        print("\(name): oneDNN vs reference engine: relative error \(error)")
        XCTAssertLessThan(error, 1e-4, name, file: file, line: line)
    }

    func testP4CNNOnBothEnginesAgrees() throws {
        var rng = SeededGenerator(seed: 150)
        let model = try P4CNN(configuration: .rotatedMNIST(group: .c4))
        warmUp(model, rng.signedTensor([4, 1, 28, 28]))
        for batch in [1, 8] {
            compareEngines("P4CNN rotated-MNIST batch \(batch)", model,
                           rng.signedTensor([batch, 1, 28, 28]))
        }
    }

    func testUNetOnBothEnginesAgrees() throws {
        var rng = SeededGenerator(seed: 151)
        let model = try EquivariantUNet(configuration: EquivariantUNetConfiguration(
            group: .c4, inputChannels: 1, classes: 4, fieldsPerLevel: [8, 16, 32]))
        warmUp(model, rng.signedTensor([1, 1, 32, 32]))
        compareEngines("U-Net C4 8/16/32 256²", model, rng.signedTensor([1, 1, 256, 256]))
        compareEngines("U-Net C4 8/16/32 batch 2, 48²", model, rng.signedTensor([2, 1, 48, 48]))
    }

    func testUNetChannelsLastPathAgreesWithTheReferenceEngine() throws {
        var rng = SeededGenerator(seed: 153)
        for (group, pooling, fields, shape) in [
            (Group.c4, GroupPooling.Kind.mean, [8, 16, 32], [1, 1, 64, 64]),
            (Group.d4, GroupPooling.Kind.max, [3, 5, 6], [2, 1, 40, 24]),
            (Group.c4, GroupPooling.Kind.mean, [4, 8], [1, 3, 18, 22]),
        ] {
            let model = try EquivariantUNet(configuration: EquivariantUNetConfiguration(
                group: group, inputChannels: shape[1], classes: 3, fieldsPerLevel: fields,
                logitPooling: pooling))
            warmUp(model, rng.signedTensor([1, shape[1], shape[2], shape[3]]))
            let x = rng.signedTensor(shape)
            let reference = run(model, x, engine: .reference)
            XCTAssertNil(GradientTape.withoutRecording { model.channelsLastForward(x) },
                         "the reference engine keeps the planes path")
            ConvolutionEngine.selected = .onednn
            let last = try XCTUnwrap(GradientTape.withoutRecording {
                model.channelsLastForward(x)
            }, "oneDNN accepts every layer of \(group) \(fields)")
            let error = EquivarianceCheck.relativeError(last, reference)
            print("U-Net \(group) \(fields) \(shape) channels-last vs reference: \(error)")
            XCTAssertLessThan(error, 1e-4, "\(group) \(fields) \(shape) \(pooling)")
            // Buffers of the first pass are reused: the same bits again, and the pool holds
            // no more after a second pass at this size than after the first.
            let held = model.inferenceBuffers.heldSamples
            XCTAssertGreaterThan(held, 0, "activations kept for the next pass")
            let other = rng.signedTensor(shape)
            let otherLogits = try XCTUnwrap(GradientTape.withoutRecording {
                model.channelsLastForward(other) })
            assertBitwiseEqual(try XCTUnwrap(GradientTape.withoutRecording {
                model.channelsLastForward(x) }), last, "second pass on reused buffers")
            XCTAssertEqual(model.inferenceBuffers.heldSamples, held)
            XCTAssertLessThan(EquivarianceCheck.relativeError(otherLogits, reference), 10,
                              "another input gives other logits, computed")
            XCTAssertGreaterThan(otherLogits.storage.indices.filter {
                otherLogits.storage[$0] != last.storage[$0] }.count, 0)
            // The model's forward takes this path on oneDNN (batches image by image).
            assertClose(run(model, x, engine: .onednn), last, tolerance: 1e-4,
                        "forward on oneDNN")
        }
    }

    func testModelsStayExactlyEquivariantOnEveryEngine() throws {
        var rng = SeededGenerator(seed: 152)
        let p4 = try P4CNN(configuration: .rotatedMNIST(group: .d4))
        let unet = try EquivariantUNet(configuration: EquivariantUNetConfiguration(
            group: .c4, inputChannels: 1, classes: 3, fieldsPerLevel: [3, 5, 6]))
        let images = rng.signedTensor([2, 1, 28, 28])
        let scans = rng.signedTensor([2, 1, 24, 24])
        warmUp(p4, images)
        warmUp(unet, scans)
        for engine in ConvolutionEngine.allCases {
            EquivarianceCheck.assertInvariant(
                "P4CNN D4 on \(engine)", elements: Group.d4.elements, input: images,
                function: { self.run(p4, $0, engine: engine) },
                inputAction: { Group.d4.transformPlanes($0, by: $1) })
            EquivarianceCheck.assertEquivariant(
                "U-Net C4 on \(engine)", elements: Group.c4.elements, input: scans,
                function: { self.run(unet, $0, engine: engine) },
                inputAction: { Group.c4.transformPlanes($0, by: $1) },
                outputAction: { Group.c4.transformPlanes($0, by: $1) })
        }
    }
}
