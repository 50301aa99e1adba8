import XCTest
import NeuralNet
import TensorCore
import _TestSupport
@testable import Equivariance

/// Both models: exact invariance / equivariance for every element of C4 and D4, size rules,
/// evaluation cache, save and load.
final class ModelTests: XCTestCase {
    private func run(_ model: Module, _ x: Tensor) -> Tensor {
        GradientTape.withoutRecording { model(Variable(x)).value }
    }

    /// Gives batch norms non-trivial running statistics by one training pass.
    private func warmUp(_ model: Module, _ x: Tensor) {
        model.train()
        _ = run(model, x)
        model.eval()
    }

    func testP4CNNIsInvariantForEveryElement() throws {
        var rng = SeededGenerator(seed: 30)
        for group in [Group.c4, .d4] {
            let model = try P4CNN(configuration: .rotatedMNIST(group: group))
            let x = rng.signedTensor([2, 1, 28, 28])
            warmUp(model, x)
            XCTAssertEqual(try model.classify(x).shape, [2, 10])
            EquivarianceCheck.assertInvariant(
                "P4CNN rotated-MNIST \(group) (eval)", elements: group.elements, input: x,
                function: { self.run(model, $0) },
                inputAction: { group.transformPlanes($0, by: $1) })
            model.train()
            EquivarianceCheck.assertInvariant(
                "P4CNN rotated-MNIST \(group) (training, batch statistics)",
                elements: group.elements, input: x, function: { self.run(model, $0) },
                inputAction: { group.transformPlanes($0, by: $1) })
        }
    }

    func testP4CNNConfigurableAndSizeRules() throws {
        let config = P4CNNConfiguration(group: .d4, inputChannels: 3, classes: 4, fields: 3,
                                        hiddenGroupConvolutions: 2, padding: 1,
                                        poolAfterLayers: [1, 2], finalKernelSize: 3)
        let model = try P4CNN(configuration: config)
        var rng = SeededGenerator(seed: 31)
        let x = rng.signedTensor([1, 3, 16, 16])
        XCTAssertEqual(try model.classify(x).shape, [1, 4])
        XCTAssertTrue(model.isExact(inputExtent: 16))
        XCTAssertFalse(model.isExact(inputExtent: 18), "18 → 9 cannot be pooled again")
        XCTAssertThrowsError(try model.classify(rng.signedTensor([1, 3, 18, 16]))) { error in
            XCTAssertTrue("\(error)".contains("18"), "\(error)")
        }
        let preset = try P4CNN(configuration: .rotatedMNIST())
        XCTAssertTrue(preset.isExact(inputExtent: 28))
        XCTAssertFalse(preset.isExact(inputExtent: 27))
        XCTAssertThrowsError(try P4CNN(configuration: P4CNNConfiguration(poolAfterLayers: [9])))
        XCTAssertThrowsError(try preset.classify(rng.signedTensor([1, 2, 28, 28])))
    }

    func testUNetMaskTurnsWithTheInput() throws {
        var rng = SeededGenerator(seed: 32)
        for group in [Group.c4, .d4] {
            for upsampling in [SpatialUpsampling.Kind.nearest, .bilinear] {
                let config = EquivariantUNetConfiguration(
                    group: group, inputChannels: 2, classes: 3, fieldsPerLevel: [3, 4, 5],
                    upsampling: upsampling, logitPooling: upsampling == .nearest ? .mean : .max)
                let model = try EquivariantUNet(configuration: config)
                let x = rng.signedTensor([2, 2, 12, 12])
                warmUp(model, x)
                XCTAssertEqual(try model.segment(x).shape, [2, 3, 12, 12])
                EquivarianceCheck.assertEquivariant(
                    "U-Net \(group) \(upsampling)", elements: group.elements, input: x,
                    function: { self.run(model, $0) },
                    inputAction: { group.transformPlanes($0, by: $1) },
                    outputAction: { group.transformPlanes($0, by: $1) })
            }
        }
    }

    func testUNetSizePolicy() throws {
        var rng = SeededGenerator(seed: 33)
        let refuse = try EquivariantUNet(configuration: .init(fieldsPerLevel: [2, 3, 4]))
        XCTAssertEqual(refuse.requiredInputMultiple, 4)
        XCTAssertThrowsError(try refuse.segment(rng.signedTensor([1, 1, 10, 12]))) { error in
            XCTAssertTrue("\(error)".contains("10×12") && "\(error)".contains("4"), "\(error)")
        }
        let padding = try EquivariantUNet(configuration: .init(
            fieldsPerLevel: [2, 3, 4], inputSizePolicy: .pad))
        padding.eval()
        // 10 → 12 pads one pixel on each side: still exact.
        let x = rng.signedTensor([1, 1, 10, 10])
        XCTAssertEqual(try padding.segment(x).shape, [1, 2, 10, 10])
        EquivarianceCheck.assertEquivariant(
            "U-Net padded 10×10 C4", elements: Group.c4.elements, input: x,
            function: { (try? padding.segment($0)) ?? Tensor(zeros: [0]) },
            inputAction: { Group.c4.transformPlanes($0, by: $1) },
            outputAction: { Group.c4.transformPlanes($0, by: $1) })
        XCTAssertThrowsError(try EquivariantUNet(configuration: .init(kernelSize: 4)))
    }

    /// Evaluation with cached banks equals evaluation with every convolution re-expanding
    /// (training-mode convolutions, batch norm in evaluation mode). The deployed path also
    /// folds batch norm into the bank, which reorders rounding: tolerance 1e-5 relative.
    func testCachedEvaluationEqualsFreshExpansion() throws {
        var rng = SeededGenerator(seed: 34)
        for group in [Group.c4, .d4] {
            let model = try EquivariantUNet(configuration: .init(group: group,
                                                                 fieldsPerLevel: [2, 3]))
            let x = rng.signedTensor([2, 1, 8, 8])
            warmUp(model, x)
            let cachedFirst = run(model, x)
            let cachedSecond = run(model, x)
            let convolutions = model.namedModules()
                .compactMap { $0.module as? EquivariantConvolution }
            XCTAssertEqual(convolutions.count, 7)
            XCTAssertEqual(cachedFirst, cachedSecond)
            for conv in convolutions { conv.train() }
            let fresh = run(model, x)
            let error = EquivarianceCheck.relativeError(cachedFirst, fresh)
            print("U-Net \(group): deployed (cached, folded) vs re-expanded: relative error "
                  + "\(error)")
            XCTAssertLessThan(error, 1e-5)
            // The tape path in evaluation mode (recording on) uses the cached, unfolded bank.
            for conv in convolutions { conv.eval() }
            let taped = model(Variable(x)).value
            XCTAssertTrue(convolutions.allSatisfy(\.hasCachedFilterBank))
            XCTAssertLessThan(EquivarianceCheck.relativeError(taped, fresh), 1e-5)
        }
    }

    /// Band-split inference convolution gives the same samples as one whole-image Conv2D.
    func testBandedInferenceConvolutionMatchesConv2D() {
        var rng = SeededGenerator(seed: 37)
        let cases = [([1, 3, 9, 7], 3, 1), ([2, 64, 128, 128], 3, 1), ([1, 2, 6, 6], 5, 0)]
        for (shape, k, p) in cases {
            let x = rng.signedTensor(shape)
            let bank = rng.signedTensor([4, shape[1], k, k])
            let bias = rng.signedTensor([4])
            let banded = InferenceConvolution.convolve(x, bank: bank, bias: bias, padding: p)
            let whole = Conv2DKernels.forward(input: x, weight: bank, bias: bias, padding: p)
            let error = EquivarianceCheck.relativeError(banded, whole)
            print("banded conv \(shape) k\(k): relative error \(error)")
            XCTAssertLessThan(error, 1e-6, "\(shape)")
        }
    }

    func testSaveAndLoadThroughStateDictionaryAndConfiguration() throws {
        var rng = SeededGenerator(seed: 35)
        let config = EquivariantUNetConfiguration(group: .d4, classes: 2, fieldsPerLevel: [2, 3],
                                                  seed: 7)
        let model = try EquivariantUNet(configuration: config)
        let x = rng.signedTensor([1, 1, 8, 8])
        warmUp(model, x)
        let expected = run(model, x)
        // Metadata round trip, then a differently seeded network loads the weights.
        let json = try JSONEncoder().encode(model.configuration)
        var decoded = try JSONDecoder().decode(EquivariantUNetConfiguration.self, from: json)
        XCTAssertEqual(decoded, config)
        decoded.seed = 99
        let rebuilt = try EquivariantUNet(configuration: decoded)
        rebuilt.eval()
        XCTAssertNotEqual(run(rebuilt, x), expected)
        try rebuilt.load(stateDictionary: model.stateDictionary())
        XCTAssertEqual(run(rebuilt, x), expected)
        XCTAssertTrue(model.stateDictionary().keys.contains("encoder.0.norms.0.runningMean"))

        let p4 = try P4CNN(configuration: .rotatedMNIST(group: .d4))
        let p4json = try JSONEncoder().encode(p4.configuration)
        XCTAssertEqual(try JSONDecoder().decode(P4CNNConfiguration.self, from: p4json),
                       p4.configuration)
        XCTAssertTrue(String(decoding: p4json, as: UTF8.self).contains("\"D4\""))
    }
}

/// Weight files: safetensors with the configuration in the metadata.
final class ModelFileTests: XCTestCase {
    func testSafetensorsRoundTripRebuildsTheModel() throws {
        let folder = temporaryFolderURL(prefix: "equiv")
        var rng = SeededGenerator(seed: 36)

        let p4 = try P4CNN(configuration: .rotatedMNIST(group: .d4))
        let x = rng.signedTensor([2, 1, 28, 28])
        p4.train()
        _ = GradientTape.withoutRecording { p4(Variable(x)) }
        p4.eval()
        let p4Expected = try p4.classify(x)
        let p4URL = folder.appendingPathComponent("p4.safetensors")
        try p4.save(weightsTo: p4URL, extraMetadata: ["note": "test"])
        let p4Loaded = try P4CNN.load(from: p4URL)
        XCTAssertEqual(p4Loaded.configuration, p4.configuration)
        XCTAssertEqual(try p4Loaded.classify(x), p4Expected)

        let unet = try EquivariantUNet(configuration: .init(group: .c4, classes: 3,
                                                            fieldsPerLevel: [2, 3], seed: 3))
        unet.eval()
        let y = rng.signedTensor([1, 1, 8, 8])
        let unetURL = folder.appendingPathComponent("unet.safetensors")
        try unet.save(weightsTo: unetURL)
        XCTAssertEqual(try EquivariantUNet.load(from: unetURL).segment(y), try unet.segment(y))
        XCTAssertThrowsError(try P4CNN.load(from: unetURL)) { error in
            XCTAssertTrue("\(error)".contains("EquivariantUNet"), "\(error)")
        }
    }
}

extension ModelFileTests {
    /// The configuration JSON in the metadata has sorted keys, so saving the same weights
    /// twice gives the same bytes (and the same SHA-256).
    func testSavedConfigurationHasSortedKeysAndStableBytes() throws {
        let folder = temporaryFolderURL(prefix: "equiv")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]

        let p4 = try P4CNN(configuration: .rotatedMNIST(group: .d4))
        let p4URL = folder.appendingPathComponent("p4.safetensors")
        try p4.save(weightsTo: p4URL)
        let p4Bytes = try Data(contentsOf: p4URL)
        let p4Stored = try SafeTensors.read(from: p4URL)
            .metadata[EquivariantModelMetadata.configurationKey]
        XCTAssertEqual(p4Stored,
                       String(decoding: try encoder.encode(p4.configuration), as: UTF8.self))
        try p4.save(weightsTo: p4URL)
        XCTAssertEqual(try Data(contentsOf: p4URL), p4Bytes)

        let unet = try EquivariantUNet(configuration: .init(group: .c4, classes: 3,
                                                            fieldsPerLevel: [2, 3], seed: 3))
        let unetURL = folder.appendingPathComponent("unet.safetensors")
        try unet.save(weightsTo: unetURL)
        let unetStored = try SafeTensors.read(from: unetURL)
            .metadata[EquivariantModelMetadata.configurationKey]
        XCTAssertEqual(unetStored,
                       String(decoding: try encoder.encode(unet.configuration), as: UTF8.self))
    }
}

/// Whole-model backward passes (skip connections, concatenation, pooling, upsampling) against
/// finite differences, every sample bounded. In evaluation mode the models are piecewise
/// linear (ReLU, max pooling, batch norm with running statistics), so a difference is exact up
/// to rounding unless its step crosses a kink, and with thousands of units many steps do. The
/// last convolution's weights lie after every kink: central differences, ε = 1e-2, tolerance
/// 1e-3. The input takes `GradientCheck.checkPiecewiseLinear`: each sample's step shrinks from
/// 1e-2 by factors of 4 (down to ≥ 1e-4) until its one-sided differences agree within 1e-3, so
/// it measures one slope; the U-Nets are checked on 4 × 4 inputs, which have a quarter of the
/// kinks of 8 × 8 ones. Tolerance for every input sample: |analytic − numerical| / max(1,
/// |analytic|, |numerical|) ≤ 1e-2. The floor is Float32 rounding of the outputs, about 3e-6
/// in the loss, divided by steps down to 6e-4 that the kinks force (worst measured 1.5e-3 for
/// P4CNN, 3.8e-3 and 7.0e-3 for the U-Nets); a wrong backward gives errors of order 0.1–1.
final class ModelGradientTests: XCTestCase {
    private func check(_ model: Module, lastWeight: Variable, input: Tensor, name: String) {
        var rng = SeededGenerator(seed: 40)
        model.eval()
        let variable = Variable(input, requiresGrad: true)
        let output = model(variable)
        let projection = rng.signedTensor(output.shape)
        output.backward(seed: projection)
        guard let inputGradient = variable.grad, let weightGradient = lastWeight.grad else {
            XCTFail("\(name): missing gradients"); return
        }
        // The tape path (recording on) is what backward differentiates, so evaluate it.
        func loss(_ x: Tensor) -> Double {
            GradientCheck.probe(model(Variable(x)).value, weights: projection)
        }
        let weightResult = GradientCheck.assertGradients(
            inputs: [lastWeight.value], analytic: [weightGradient], epsilon: 1e-2,
            tolerance: 1e-3, maximumSamples: 30, "\(name) last weights"
        ) { values in
            lastWeight.value = values[0]
            return loss(input)
        }
        print("gradient \(name) last weights: \(weightResult)")
        let inputResult = GradientCheck.checkPiecewiseLinear(
            inputs: [input], function: { loss($0[0]) }, analytic: [inputGradient],
            epsilon: 1e-2, linearity: 1e-3)
        print("gradient \(name) input: \(inputResult)")
        XCTAssertEqual(inputResult.checked, input.count, name)
        XCTAssertLessThanOrEqual(inputResult.worstError, 1e-2, "\(name) input: \(inputResult)")
    }

    func testUNetBackward() throws {
        var rng = SeededGenerator(seed: 41)
        for upsampling in [SpatialUpsampling.Kind.nearest, .bilinear] {
            let model = try EquivariantUNet(configuration: .init(
                group: .c4, inputChannels: 1, classes: 2, fieldsPerLevel: [2, 3],
                upsampling: upsampling))
            model.train()
            _ = GradientTape.withoutRecording { model(Variable(rng.signedTensor([2, 1, 8, 8]))) }
            check(model, lastWeight: model.head.weight, input: rng.signedTensor([2, 1, 4, 4]),
                  name: "U-Net C4 \(upsampling)")
        }
    }

    func testP4CNNBackward() throws {
        var rng = SeededGenerator(seed: 42)
        let model = try P4CNN(configuration: .init(group: .d4, fields: 2,
                                                   hiddenGroupConvolutions: 1, padding: 1,
                                                   poolAfterLayers: [1], finalKernelSize: 3))
        model.train()
        _ = GradientTape.withoutRecording { model(Variable(rng.signedTensor([2, 1, 8, 8]))) }
        guard let last = model.layers.last as? EquivariantConvolution else {
            XCTFail("the last layer is a convolution"); return
        }
        check(model, lastWeight: last.weight, input: rng.signedTensor([2, 1, 8, 8]),
              name: "P4CNN D4")
    }
}
