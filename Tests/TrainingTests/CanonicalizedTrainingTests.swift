import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import NeuralNet
import TensorCore
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// Canonicalizer + predictor models trained end to end on tiny generated sets.
final class CanonicalizedTrainingTests: XCTestCase {
    /// Every D4 element applied to every image of a batch (N, C, H, H).
    static func d4Orbit(_ images: Tensor) -> [(GroupElement, Tensor)] {
        Group.d4.elements.map { ($0, Group.d4.transformPlanes(images, by: $0)) }
    }

    func testCanonicalizedClassifierTrainsAndIsD4Invariant() throws {
        let root = temporaryFolder(prefix: "equiscan-canon")
        try TrainingTests.makeClassificationSet(root: "\(root)/train", perClass: 12, seed: 11)
        try TrainingTests.makeClassificationSet(root: "\(root)/val", perClass: 4, seed: 12)
        // A C4 predictor is not invariant to mirrors; the D4 canonicalizer makes it so.
        let config = try TrainingConfig.parse("""
        {"name": "canon", "task": "classification", "seed": 3,
         "data": {"train": "train", "validation": "val"},
         "input": {"width": 16, "height": 16, "channels": 1, "normalization": "minMax"},
         "model": {"kind": "p4cnn", "group": "C4", "width": 4, "depth": 2,
                   "canonicalizer": {"group": "D4", "fields": [4, 4], "inputSize": 16,
                                     "priorWeight": 0.5, "beta": 1}},
         "training": {"epochs": 4, "batchSize": 8,
                      "optimizer": {"kind": "adam", "learningRate": 0.02}}}
        """)
        let output = "\(root)/out"
        let result = try Trainer(config: config,
                                 options: TrainingOptions(dataRoot: root, output: output)).run()
        let losses = result.log.map(\.trainLoss)
        XCTAssertLessThan(losses.last ?? .infinity, 0.9 * losses[0], "loss should fall: \(losses)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(output)/canonicalizer.safetensors"))

        let package = try ModelPackage.load(output)
        XCTAssertEqual(package.metadata.canonicalizer?.file, "canonicalizer.safetensors")
        XCTAssertEqual(package.metadata.training.model.canonicalizer?.group, .d4)
        guard case .canonicalized(let model) = package.model else {
            return XCTFail("the package should hold a canonicalized model")
        }
        // The scorer was trained: its weights differ from the seeded initial ones.
        let fresh = try ModelFactory.build(config.model, input: config.input, classCount: 2,
                                           seed: config.seed)
        guard case .canonicalized(let initial) = fresh else { return XCTFail("not wrapped") }
        let trained = model.canonicalizer.stateDictionary()
        let changed = initial.canonicalizer.stateDictionary().contains { name, tensor in
            trained[name]?.storage != tensor.storage
        }
        XCTAssertTrue(changed, "the canonicalizer's weights did not change in training")
        XCTAssertTrue(model.stateDictionary().keys.contains { $0.hasPrefix("canonicalizer.") })
        XCTAssertTrue(model.stateDictionary().keys.contains { $0.hasPrefix("predictor.") })

        // Prediction = predictor on the canonical images, and exactly invariant under D4.
        let index = try DatasetIndex.classificationFolders(root: "\(root)/val", classes: [])
        let items = try index.cases.map { c in
            LoadedCase(image: try package.planes(for: try ImageDecoder.decode(path: c.image),
                                                 file: c.image))
        }
        let images = Batch(items).images
        let logits = package.model.predict(images)
        let direct = GradientTape.withoutRecording {
            model.predictor(Variable(model.canonicalizer.canonicalize(images).canonical)).value
        }
        XCTAssertEqual(logits.storage, direct.storage)
        var worst: Float = 0
        for (element, moved) in Self.d4Orbit(images) {
            let movedLogits = package.model.predict(moved)
            for (a, b) in zip(movedLogits.storage, logits.storage) {
                worst = max(worst, abs(a - b))
            }
            XCTAssertEqual(movedLogits.shape, logits.shape, "\(element)")
        }
        XCTAssertEqual(worst, 0, "worst logit change under D4: \(worst) (tolerance 0)")
        // `equiscan evaluate`: the same predictions under every turn.
        let report = try Evaluator.evaluate(package, data: "\(root)/val", allowSeen: true)
        XCTAssertEqual(report.orbitConsistency, 1)
        let accuracy = package.metadata.validationMetrics["accuracy"] ?? -1
        XCTAssertEqual((report.metrics["accuracy"] ?? nil) ?? -2, accuracy, accuracy: 1e-9)
    }

    func testCanonicalizedSegmenterTrainsAndItsMasksMoveWithTheScan() throws {
        let root = temporaryFolder(prefix: "equiscan-canon")
        var generator = SeededGenerator(seed: 21)
        // An L-shaped bright region (no mirror or turn symmetry) at a random place.
        try TrainingFixtures.writeSegmentationSet(root: root, count: 8,
                                                  generator: &generator) { x, y, x0, y0 in
            (x >= x0 && x < x0 + 7 && y >= y0 && y < y0 + 2)
                || (x >= x0 && x < x0 + 2 && y >= y0 && y < y0 + 7)
        }
        let config = try TrainingConfig.parse("""
        {"name": "canon-seg", "task": "segmentation", "seed": 2,
         "data": {"train": "seg", "validationFraction": 0.25,
                  "labels": [{"name": "background", "value": 0}, {"name": "ell", "value": 255}]},
         "input": {"width": 16, "height": 16, "channels": 1},
         "model": {"kind": "unet", "group": "C4", "width": 2, "depth": 1,
                   "canonicalizer": {"fields": [4, 4], "inputSize": 8}},
         "training": {"epochs": 3, "batchSize": 4,
                      "optimizer": {"kind": "adam", "learningRate": 0.03}}}
        """)
        let output = "\(root)/out"
        let result = try Trainer(config: config,
                                 options: TrainingOptions(dataRoot: root, output: output)).run()
        let losses = result.log.map(\.trainLoss)
        XCTAssertLessThan(losses.last ?? .infinity, losses[0], "loss should fall: \(losses)")
        let package = try ModelPackage.load(output)
        guard case .canonicalized(let model) = package.model else {
            return XCTFail("the package should hold a canonicalized model")
        }
        XCTAssertEqual(model.priorWeight, 100)
        // Logits of a moved scan are the moved logits, exactly (D4 permutes the pixel grid).
        let images = try (0..<3).map { i -> Tensor in
            let path = "\(root)/seg/images/\(i).png"
            return Batch([LoadedCase(image: try package.planes(
                for: try ImageDecoder.decode(path: path), file: path))]).images
        }
        var worst: Float = 0
        for image in images {
            let logits = package.model.predict(image)
            XCTAssertEqual(logits.shape, [1, 2, 16, 16])
            for (element, moved) in Self.d4Orbit(image) {
                let expected = Group.d4.transformPlanes(logits, by: element)
                for (a, b) in zip(package.model.predict(moved).storage, expected.storage) {
                    worst = max(worst, abs(a - b))
                }
            }
        }
        XCTAssertEqual(worst, 0, "worst logit error under D4: \(worst) (tolerance 0)")
    }

    /// The tape version of moving logits back by the poses has the adjoint as gradient.
    func testMovingLogitsOnTheTapeBackpropagatesTheInverseMove() {
        var generator = SeededGenerator(seed: 4)
        let values = (0..<(2 * 3 * 4 * 4)).map { _ in Float(generator.nextInt(below: 100)) }
        let input = Variable(Tensor(shape: [2, 3, 4, 4], storage: values), requiresGrad: true)
        let elements = [Group.d4.elements[3], Group.d4.elements[6]]
        let moved = CanonicalizedPredictor.moveOnTape(input, by: elements, group: .d4)
        let weights = (0..<moved.value.count).map { Float($0 % 7) - 3 }
        let expected = CanonicalizedPredictor.move(
            Tensor(shape: moved.shape, storage: weights),
            by: elements.map { Group.d4.inverse($0) }, group: .d4)
        moved.backward(seed: Tensor(shape: moved.shape, storage: weights))
        XCTAssertEqual(input.grad?.storage, expected.storage)
        // ⟨w, T x⟩ = ⟨T⁻¹ w, x⟩ for the permutation T.
        let lhs = zip(weights, moved.value.storage).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        let rhs = zip(expected.storage, values).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        XCTAssertEqual(lhs, rhs)
    }
}

extension TrainingConfigTests {
    func testCanonicalizerKeysAreValidatedWithTheirPaths() throws {
        let path = ["model", "canonicalizer"]
        let config = try TrainingConfig.parse(Self.valid.replacingOccurrences(
            of: "\"depth\": 3}", with: "\"depth\": 3, \"canonicalizer\": {\"group\": \"C4\"}}"))
        XCTAssertEqual(config.model.canonicalizer,
                       CanonicalizerSpec(group: .c4, fields: [8, 8, 8], inputSize: 32,
                                         priorWeight: 100, beta: 1))
        let cases: [(String, String)] = [
            ("{\"group\": \"C8\"}",
             "1:329 /model/canonicalizer/group expected one of \"C4\", \"D4\", got \"C8\""),
            ("{\"fields\": [4]}", "1:330 /model/canonicalizer/fields expected an array of 2 to 8 "
             + "elements, got [4]"),
            ("{\"fields\": [4, 0]}", "1:333 /model/canonicalizer/fields/1 expected a whole number "
             + "from 1 to 256, got 0"),
            ("{\"fields\": [4, 4, 4], \"inputSize\": 18}", "1:350 /model/canonicalizer/inputSize "
             + "inputSize 18 must be a multiple of 4 (2^pooling steps, one per layer but the "
             + "last of 3)"),
            ("{\"priorWeight\": -1}",
             "1:335 /model/canonicalizer/priorWeight expected a finite number ≥ 0, got -1"),
            ("{\"beta\": 0}",
             "1:328 /model/canonicalizer/beta expected a finite number > 0, got 0"),
            ("{\"grup\": \"D4\"}", "1:321 /model/canonicalizer/grup unknown key"),
            ("3", "1:320 /model/canonicalizer expected an object, got 3"),
        ]
        for (value, expected) in cases {
            let message = error(setting: path, to: value)
            XCTAssertTrue(message.hasPrefix(expected), "\(value): \(message)")
        }
        let nonSquare = error(setting: ["input", "height"], to: "64", in: Self.valid
            .replacingOccurrences(of: "\"depth\": 3}", with: "\"depth\": 3, \"canonicalizer\": {}}")
            .replacingOccurrences(of: "\"groupElements\": true", with: "\"groupElements\": false")
            .replacingOccurrences(of: "\"crop\": [24, 24],", with: ""))
        XCTAssertEqual(nonSquare, "1:320 /model/canonicalizer canonicalization needs square "
                       + "images, but input is 32×64")
    }
}
