import Foundation
import ImageCodecs
import TensorCore
import NeuralNet
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// Few-second training runs on tiny sets generated into temporary folders.
final class TrainingTests: XCTestCase {
    /// 16x16 gray scans: class "disk" is a bright filled disk, class "ring" a bright ring, both
    /// at a random place and brightness with noise (rotation-invariant classes).
    static func makeClassificationSet(root: String, perClass: Int, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for name in ["disk", "ring"] {
            let folder = "\(root)/\(name)"
            for i in 0..<perClass {
                let cx = 6 + Double(generator.nextInt(below: 5))
                let cy = 6 + Double(generator.nextInt(below: 5))
                let level = 150 + Double(generator.nextInt(below: 100))
                var pixels = [UInt8](repeating: 0, count: 256)
                for y in 0..<16 {
                    for x in 0..<16 {
                        let r = ((Double(x) - cx) * (Double(x) - cx)
                                 + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                        let inside = name == "disk" ? r < 4.5 : (r > 3 && r < 5)
                        let noise = Double(generator.nextInt(below: 40))
                        pixels[y * 16 + x] = UInt8(min(255, (inside ? level : 20) + noise))
                    }
                }
                try TestImages.writeGrayPNG(width: 16, height: 16, pixels: pixels,
                                            to: "\(folder)/\(i).png")
            }
        }
    }

    func classificationConfig(epochs: Int, augment: Bool,
                              dropout: Double = 0) throws -> TrainingConfig {
        try TrainingConfig.parse("""
        {"name": "tiny", "task": "classification", "seed": 5,
         "data": {"train": "train", "validation": "val"},
         "input": {"width": 16, "height": 16, "channels": 1, "normalization": "minMax"},
         "model": {"kind": "p4cnn", "group": "C4", "width": 4, "depth": 2,
                   "dropout": \(dropout)},
         "augmentation": {"groupElements": \(augment), "flips": \(augment),
                          "brightness": \(augment ? 0.1 : 0), "contrast": \(augment ? 0.1 : 0)},
         "training": {"epochs": \(epochs), "batchSize": 8,
                      "optimizer": {"kind": "adam", "learningRate": 0.02},
                      "schedule": {"kind": "cosine"}}}
        """)
    }

    func testTrainingReducesLossAndWritesALoadablePackage() throws {
        let root = temporaryFolder(prefix: "equiscan-train")
        try Self.makeClassificationSet(root: "\(root)/train", perClass: 16, seed: 1)
        try Self.makeClassificationSet(root: "\(root)/val", perClass: 6, seed: 2)
        let output = "\(root)/out"
        var epochLines = 0
        let result = try Trainer(config: try classificationConfig(epochs: 6, augment: false),
                                 options: TrainingOptions(dataRoot: root, output: output)) {
            if case .epochFinished = $0 { epochLines += 1 }
        }.run()
        XCTAssertEqual(epochLines, 6)
        let losses = result.log.map(\.trainLoss)
        XCTAssertLessThan(losses.last ?? .infinity, 0.7 * losses[0],
                          "training loss should fall: \(losses)")
        for file in ["metadata.json", "weights.safetensors", "training-log.csv", "loss.svg",
                     "metrics.svg", "validation-cases.txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(output)/\(file)"), file)
        }
        let package = try ModelPackage.load(output)
        XCTAssertEqual(package.metadata.classes, ["disk", "ring"])
        XCTAssertEqual(package.metadata.notice, "research use only — not for clinical use")
        XCTAssertEqual(package.metadata.trainingData.trainCases, 32)
        XCTAssertEqual(package.metadata.training.bestEpoch, result.bestEpoch)
        // What changes the bits besides config and data is recorded.
        let environment = ProcessInfo.processInfo.environment
        let record = try XCTUnwrap(package.metadata.reproducibility)
        XCTAssertEqual(record.seed, 5)
        XCTAssertEqual(record.compute.threads, ThreadPolicy.workerCount)
        XCTAssertEqual(record.compute.blasCoreTypeVariable,
                       environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 })
        XCTAssertTrue(record.compute.blasLibrary.hasPrefix("OpenBLAS"), record.compute.blasLibrary)
        XCTAssertFalse(record.compute.blasCoreType.isEmpty)
        XCTAssertEqual(record.compute.convolutionEngine, ConvolutionEngine.selectedDescription)
        XCTAssertEqual(record.compute.oneDNNISA != nil, ConvolutionEngine.selected == .onednn)
        let revision = environment["EQUISCAN_CODE_REVISION"] ?? ""
        XCTAssertEqual(record.codeRevision, revision.isEmpty ? "unknown" : revision)
        let accuracy = package.metadata.validationMetrics["accuracy"] ?? 0
        XCTAssertGreaterThanOrEqual(accuracy, 0.75, "validation accuracy \(accuracy)")
        // The package predicts: the reloaded model reproduces the recorded accuracy.
        let index = try DatasetIndex.classificationFolders(root: "\(root)/val", classes: [])
        var correct = 0
        for c in index.cases {
            let planes = try package.planes(for: try ImageDecoder.decode(path: c.image),
                                            file: c.image)
            let logits = package.model.predict(Batch([LoadedCase(image: planes)]).images)
            let predicted = ClassificationMetrics.argmax(logits.storage.map(Double.init))
            if case .classIndex(predicted) = c.target { correct += 1 }
        }
        XCTAssertEqual(Double(correct) / Double(index.cases.count), accuracy, accuracy: 1e-9)
        // Evaluation: the untransformed figures match the recorded validation accuracy; the
        // C4-invariant classifier predicts every case identically under all four turns.
        // The validation cases are refused as a test set, and evaluated on request.
        XCTAssertThrowsError(try Evaluator.evaluate(package, data: "\(root)/val")) { error in
            XCTAssertEqual((error as? DataError)?.kind, .seenCase, "\(error)")
            XCTAssertTrue("\(error)".contains("is a validation case of model tiny"), "\(error)")
        }
        let report = try Evaluator.evaluate(package, data: "\(root)/val", allowSeen: true)
        XCTAssertEqual(report.seenCases.count, 12)
        // Each metric as given lies in its bootstrap interval.
        XCTAssertEqual(report.bootstrap, BootstrapSettings(resamples: 1000, seed: 0))
        for name in ["accuracy", "balancedAccuracy", "macroF1"] {
            let value = try XCTUnwrap(report.metrics[name] ?? nil, name)
            let interval = try XCTUnwrap(report.confidenceIntervals[name] ?? nil, name)
            XCTAssertLessThanOrEqual(interval.low, value, name)
            XCTAssertGreaterThanOrEqual(interval.high, value, name)
        }
        XCTAssertEqual((report.metrics["accuracy"] ?? nil) ?? -1, accuracy, accuracy: 1e-9)
        XCTAssertEqual(report.orbitConsistency, 1)
        XCTAssertEqual(report.perElement.map(\.element), ["r0", "r1", "r2", "r3"])
        XCTAssertEqual((report.groupAverage["accuracy"] ?? nil) ?? -1, accuracy, accuracy: 1e-9)
        XCTAssertEqual(report.confusion?.flatMap { $0 }.reduce(0, +), 12)
        let csv = try String(contentsOfFile: "\(output)/training-log.csv", encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("epoch,learningRate,trainLoss,validationLoss,accuracy,"), csv)
        XCTAssertEqual(csv.split(separator: "\n").count, 7)
    }

    func testResumeContinuesExactlyLikeAnUninterruptedRun() throws {
        try checkResumeIsExact(dropout: 0)
    }

    /// With dropout the masks come from the dropout layers' own generators, whose states the
    /// checkpoint must carry: otherwise the resumed run redraws epoch 1's masks in epoch 2.
    func testResumeWithDropoutContinuesExactlyLikeAnUninterruptedRun() throws {
        let config = try classificationConfig(epochs: 3, augment: true, dropout: 0.3)
        let model = try ModelFactory.build(config.model, input: config.input, classCount: 2,
                                           seed: config.seed)
        XCTAssertFalse(Trainer.moduleGenerators(of: model.module).isEmpty,
                       "the model must contain dropout layers for this test to mean anything")
        try checkResumeIsExact(dropout: 0.3)
    }

    func checkResumeIsExact(dropout: Double) throws {
        let root = temporaryFolder(prefix: "equiscan-train")
        try Self.makeClassificationSet(root: "\(root)/train", perClass: 8, seed: 3)
        try Self.makeClassificationSet(root: "\(root)/val", perClass: 3, seed: 4)
        let config = try classificationConfig(epochs: 3, augment: true, dropout: dropout)
        let whole = try Trainer(config: config,
                                options: TrainingOptions(dataRoot: root, output: "\(root)/a"))
            .run()
        let first = try Trainer(config: config,
                                options: TrainingOptions(dataRoot: root, output: "\(root)/b",
                                                         stopAfterEpoch: 1)).run()
        XCTAssertNil(first.package)
        XCTAssertEqual(first.log.count, 1)
        let resumed = try Trainer(config: config,
                                  options: TrainingOptions(dataRoot: root, output: "\(root)/b",
                                                           resume: true)).run()
        XCTAssertEqual(resumed.log.count, 3)
        for (a, b) in zip(whole.log, resumed.log) {
            XCTAssertTrue(a.sameResults(as: b), "epoch \(a.epoch): \(a) vs \(b)")
        }
        let weightsA = try Data(contentsOf: URL(fileURLWithPath: "\(root)/a/weights.safetensors"))
        let weightsB = try Data(contentsOf: URL(fileURLWithPath: "\(root)/b/weights.safetensors"))
        XCTAssertEqual(weightsA, weightsB, "resumed weights must equal uninterrupted weights")
        // Resuming with a changed config is refused.
        var changed = config
        changed.training.learningRate = 0.5
        XCTAssertThrowsError(try Trainer(config: changed,
                                         options: TrainingOptions(dataRoot: root,
                                                                  output: "\(root)/b",
                                                                  resume: true)).run())
    }

    func testSegmentationTrainingLearnsASquare() throws {
        let root = temporaryFolder(prefix: "equiscan-train")
        var generator = SeededGenerator(seed: 9)
        try TrainingFixtures.writeSegmentationSet(root: root, count: 10,
                                                  generator: &generator) { x, y, x0, y0 in
            x >= x0 && x < x0 + 7 && y >= y0 && y < y0 + 7
        }
        let config = try TrainingConfig.parse("""
        {"name": "square", "task": "segmentation", "seed": 1,
         "data": {"train": "seg", "validationFraction": 0.3,
                  "labels": [{"name": "background", "value": 0}, {"name": "square", "value": 255}]},
         "input": {"width": 16, "height": 16, "channels": 1},
         "model": {"kind": "unet", "group": "C4", "width": 2, "depth": 1},
         "augmentation": {"groupElements": true, "crop": [12, 12]},
         "training": {"epochs": 6, "batchSize": 4, "loss": "crossEntropyDice",
                      "optimizer": {"kind": "adam", "learningRate": 0.03}}}
        """)
        let output = "\(root)/out"
        let result = try Trainer(config: config,
                                 options: TrainingOptions(dataRoot: root, output: output)).run()
        let losses = result.log.map(\.trainLoss)
        XCTAssertLessThan(losses.last ?? .infinity, losses[0], "loss should fall: \(losses)")
        let package = try ModelPackage.load(output)
        XCTAssertEqual(package.metadata.labels?.map(\.name), ["background", "square"])
        // 3 of 10 cases held out; each line an image or its label map, relative to the root,
        // with the SHA-256 of the file.
        let held = try XCTUnwrap(PackageCaseList.load(.validation, package: output)).entries
        XCTAssertEqual(held.count, 6, "\(held)")
        XCTAssertTrue(held.allSatisfy {
            $0.path.hasPrefix("seg/images/") || $0.path.hasPrefix("seg/labels/")
        }, "\(held)")
        for entry in held {
            XCTAssertEqual(entry.sha256, try ContentHash.hex(
                Array(Data(contentsOf: URL(fileURLWithPath: "\(root)/\(entry.path)")))))
        }
        let trained = try XCTUnwrap(PackageCaseList.load(.training, package: output)).entries
        XCTAssertEqual(trained.count, 14)
        XCTAssertTrue(Set(trained.map(\.path)).isDisjoint(with: held.map(\.path)))
        XCTAssertEqual(try PackageCaseList.load(.test, package: output)?.entries, [])
        let dice = package.metadata.validationMetrics["meanDice"] ?? 0
        XCTAssertGreaterThan(dice, 0.6, "validation Dice \(dice)")
        // The C4 U-Net's masks turn with the scan: every case is orbit-consistent, and the Dice
        // is the same under every turn (to rounding of the mean).
        let report = try Evaluator.evaluate(package, data: "\(root)/seg", allowSeen: true)
        XCTAssertEqual(report.orbitConsistency, 1)
        let dices = report.perElement.compactMap { $0.metrics["meanDice"] ?? nil }
        XCTAssertLessThan((dices.max() ?? 1) - (dices.min() ?? 0), 1e-9, "\(dices)")
        XCTAssertNotNil(report.perLabel?[1].hd95)
        for name in ["meanDice", "meanIoU", "meanHD95", "pixelAccuracy"] {
            let value = try XCTUnwrap(report.metrics[name] ?? nil, name)
            let interval = try XCTUnwrap(report.confidenceIntervals[name] ?? nil, name)
            XCTAssertTrue(interval.low <= value && value <= interval.high, "\(name) \(interval)")
        }
    }
}
