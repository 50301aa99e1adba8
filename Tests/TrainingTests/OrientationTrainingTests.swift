import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import TensorCore
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// Canonicalizer options of training configs and a few-second orientation training run.
final class OrientationTrainingTests: XCTestCase {
    /// `model.fields` sets the scorer's layers (depth defaults to one pool per hidden layer);
    /// it is refused for other models and with more pools than hidden layers.
    /// A one-epoch config of `task` with `model` (JSON text) as its model.
    private func config(_ model: String, task: String = "orientation") -> String {
        """
        {"name": "orient", "task": "\(task)",
         "data": {"train": "upright"},
         "input": {"width": 32, "height": 32, "channels": 1, "normalization": "minMax"},
         "model": \(model),
         "training": {"epochs": 1, "optimizer": {"kind": "adam", "learningRate": 0.01}}}
        """
    }

    func testCanonicalizerFieldsOption() throws {
        let parsed = try TrainingConfig.parse(
            config(#"{"kind": "canonicalizer", "fields": [8, 12, 12, 6]}"#))
        XCTAssertEqual(parsed.model.fields, [8, 12, 12, 6])
        XCTAssertEqual(parsed.model.depth, 3)
        let model = try ModelFactory.build(parsed.model, input: parsed.input, classCount: 8,
                                           seed: 1)
        guard case .canonicalizer(let canonicalizer) = model else {
            return XCTFail("expected a canonicalizer, got \(model.architecture)")
        }
        XCTAssertEqual(canonicalizer.configuration.network.fields, [8, 12, 12, 6])
        XCTAssertEqual(canonicalizer.configuration.network.poolingSteps, 3)

        let plain = try TrainingConfig.parse(
            config(#"{"kind": "canonicalizer", "width": 4, "depth": 2}"#))
        XCTAssertNil(plain.model.fields)
        guard case .canonicalizer(let fromWidth) = try ModelFactory.build(
            plain.model, input: plain.input, classCount: 8, seed: 1) else {
            return XCTFail("expected a canonicalizer")
        }
        XCTAssertEqual(fromWidth.configuration.network.fields, [4, 4, 4])

        // The scorer resizes every crop to the input size, so crops need not tile the pools.
        let cropped = try TrainingConfig.parse(config(#"{"kind": "canonicalizer", "#
                                                      + #""fields": [4, 4, 4, 4]}, "#
                                                      + #""augmentation": {"crop": [28, 28]}"#))
        XCTAssertEqual(cropped.augmentation.crop, [28, 28])

        XCTAssertThrowsError(try TrainingConfig.parse(
            config(#"{"kind": "canonicalizer", "fields": [8, 8], "depth": 2}"#))) { error in
            XCTAssertTrue("\(error)".contains(" /model/depth "), "\(error)")
        }
        XCTAssertThrowsError(try TrainingConfig.parse(
            config(#"{"kind": "canonicalizer", "fields": [8]}"#))) { error in
            XCTAssertTrue("\(error)".contains(" /model/fields "), "\(error)")
        }
        XCTAssertThrowsError(try TrainingConfig.parse(
            config(#"{"kind": "p4cnn", "fields": [8, 8]}"#, task: "classification"))) { error in
            XCTAssertTrue("\(error)".contains("canonicalizer setting"), "\(error)")
        }
    }

    /// `model.views` reaches the canonicalizer's preprocessing, and its `predict` (what
    /// validation, calibration and `evaluate` use) scores every view.
    func testCanonicalizerViewsOption() throws {
        let parsed = try TrainingConfig.parse(
            config(#"{"kind": "canonicalizer", "fields": [4, 4, 4], "views": [1, 0.8]}"#))
        XCTAssertEqual(parsed.model.views, [1, 0.8])
        guard case .canonicalizer(let canonicalizer) = try ModelFactory.build(
            parsed.model, input: parsed.input, classCount: 8, seed: 1) else {
            return XCTFail("expected a canonicalizer")
        }
        XCTAssertEqual(canonicalizer.configuration.preprocessing.views, [1, 0.8])
        var generator = SeededGenerator(seed: 2)
        let x = Tensor.gaussian(shape: [2, 1, 32, 32], generator: &generator)
        let model = PackagedModel.canonicalizer(canonicalizer)
        XCTAssertEqual(model.predict(x), canonicalizer.scores(x))
        XCTAssertNotEqual(model.predict(x), model.forward(x).value,
                          "predict must score the views, not the whole input alone")
        XCTAssertNil(try TrainingConfig.parse(
            config(#"{"kind": "canonicalizer", "fields": [4, 4]}"#)).model.views)
        let raised = try TrainingConfig.parse(config(
            #"{"kind": "canonicalizer", "fields": [4, 4, 4], "views": [1, 0.8], "viewGammas": [0.6]}"#))
        XCTAssertEqual(raised.model.viewGammas, [0.6])
        guard case .canonicalizer(let raisedModel) = try ModelFactory.build(
            raised.model, input: raised.input, classCount: 8, seed: 1) else {
            return XCTFail("expected a canonicalizer")
        }
        XCTAssertEqual(raisedModel.configuration.preprocessing.viewGammas, [0.6])
        XCTAssertThrowsError(try TrainingConfig.parse(config(
            #"{"kind": "canonicalizer", "viewGammas": [0.6]}"#)
            .replacingOccurrences(of: #""minMax""#, with: #""zScore""#))) { error in
            XCTAssertTrue("\(error)".contains("/model/viewGammas intensity exponents need "
                                              + "/input/normalization minMax or percentile"),
                          "\(error)")
        }

        let refusals: [(String, String, String)] = [
            (#"{"kind": "canonicalizer", "views": [1, 0]}"#, "orientation",
             " /model/views/1 expected a crop ratio in (0, 1], got 0"),
            (#"{"kind": "canonicalizer", "views": [0.9, 0.9]}"#, "orientation",
             " /model/views expected distinct crop ratios"),
            (#"{"kind": "canonicalizer", "views": []}"#, "orientation", " /model/views "),
            (#"{"kind": "p4cnn", "views": [1, 0.9]}"#, "classification",
             "views (centre crops the scorer scores) are a canonicalizer setting"),
            (#"{"kind": "canonicalizer", "viewGammas": [0.6, 1]}"#, "orientation",
             " /model/viewGammas/1 expected an intensity exponent in (0, 4] other than 1"),
            (#"{"kind": "canonicalizer", "viewGammas": [0.6, 0.6]}"#, "orientation",
             " /model/viewGammas expected distinct exponents"),
            (#"{"kind": "p4cnn", "viewGammas": [0.6]}"#, "classification",
             "viewGammas (intensity exponents of the views the scorer scores) are a "
             + "canonicalizer setting"),
        ]
        for (model, task, expected) in refusals {
            XCTAssertThrowsError(try TrainingConfig.parse(config(model, task: task))) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(model): \(error)")
            }
        }
    }

    /// Twelve upright 16 × 16 scans in root/upright: a bright wedge in the top-left corner and a
    /// bar along the top edge, at random brightness; every pose of D4 moves these to a
    /// distinct place.
    func writeWedgeScans(to root: String) throws {
        var generator = SeededGenerator(seed: 21)
        for i in 0..<12 {
            var pixels = [UInt8](repeating: 30, count: 256)
            let level = 150 + generator.nextInt(below: 100)
            for y in 0..<16 {
                for x in 0..<16 {
                    if y < 3 && x > 2 { pixels[y * 16 + x] = UInt8(level) }
                    if x + y < 5 { pixels[y * 16 + x] = 255 }
                    pixels[y * 16 + x] &+= UInt8(generator.nextInt(below: 20))
                }
            }
            try TestImages.writeGrayPNG(width: 16, height: 16, pixels: pixels,
                                        to: "\(root)/upright/\(i).png")
        }
    }

    func testOrbitConsistencyCountsExactTiesOfAMirrorSymmetricScan() {
        let group = Group.d4
        let poses = group.elements
        // Scores of an exactly equivariant scorer, scores(g·x)[g·h] = scores(x)[h], for a scan
        // that is its own mirror image: its upright pose and the mirror image score alike.
        let upright: [Float] = [5, 1, 2, 0, 5, 1, 2, 0]
        var truth: [GroupElement] = [], estimates: [PoseEstimate] = []
        for g in poses {
            var scores = [Float](repeating: 0, count: 8)
            for (h, score) in zip(poses, upright) {
                scores[group.index(of: group.compose(g, h))] = score
            }
            truth.append(g)
            estimates.append(PoseEstimate(group: group, scores: scores))
        }
        // The first of the tied poses wins the argmax, so the found poses alone give two
        // canonical forms; both turn the scan into the same image.
        let argmaxForms = Set(zip(truth, estimates).map {
            group.compose(group.inverse($1.element), $0)
        })
        XCTAssertEqual(argmaxForms.count, 2)
        XCTAssertEqual(OrientationPoses(group: group, truth: truth, estimates: estimates)
            .orbitConsistency, 1)
        // A second scan scored the same in every pose (no equivariance): inconsistent.
        let fixed = poses.map { _ in PoseEstimate(group: group, scores: [5, 1, 2, 0, 3, 1, 2, 0]) }
        XCTAssertEqual(OrientationPoses(group: group, truth: truth + poses,
                                        estimates: estimates + fixed).orbitConsistency, 0.5)
    }

    /// A D4 canonicalizer trained on the wedge scans (a quarter of them for validation), with
    /// the given loss.
    func wedgeConfig(loss: String = "crossEntropy") throws -> TrainingConfig {
        try TrainingConfig.parse("""
        {"name": "orient", "task": "orientation", "seed": 2,
         "data": {"train": "upright", "validationFraction": 0.25, "repeats": 4},
         "input": {"width": 16, "height": 16, "channels": 1, "normalization": "minMax"},
         "model": {"kind": "canonicalizer", "group": "D4", "width": 4, "depth": 2},
         "training": {"epochs": 8, "batchSize": 8, "loss": "\(loss)",
                      "optimizer": {"kind": "adam", "learningRate": 0.02}}}
        """)
    }

    /// Writes the wedge scans into a fresh folder, trains `config` on them and checks that the
    /// training loss at least halved; returns the folder and the package written in it.
    func trainOnWedgeScans(_ config: TrainingConfig, prefix: String) throws
        -> (root: String, output: String) {
        let root = temporaryFolder(prefix: prefix)
        try writeWedgeScans(to: root)
        let output = "\(root)/out"
        let result = try Trainer(config: config,
                                 options: TrainingOptions(dataRoot: root, output: output)).run()
        let losses = result.log.map(\.trainLoss)
        XCTAssertLessThan(losses.last ?? .infinity, 0.5 * losses[0], "loss: \(losses)")
        return (root, output)
    }

    func testRotationLossLearnsQuarterTurnsAndIsRecorded() throws {
        // The same scans trained on the quarter turn alone (each pose pooled with its mirror
        // image): the rotation is learnt on the held-out scans, and the loss is in metadata.
        let config = try wedgeConfig(loss: "rotationCrossEntropy")
        XCTAssertEqual(config.training.loss, .rotationCrossEntropy)
        let (root, output) = try trainOnWedgeScans(config, prefix: "equiscan-orient-rotation")
        let package = try ModelPackage.load(output)
        XCTAssertEqual(package.metadata.training.loss, "rotationCrossEntropy")
        XCTAssertEqual(package.metadata.mirrorIdentifiable, false, "the mirror was not trained")
        let heldOut = try XCTUnwrap(PackageCaseList.load(.validation, package: output))
            .entries.map(\.path)
        XCTAssertEqual(heldOut.count, 3)
        var hits = 0
        for name in heldOut {
            let scan = try Evaluator.evaluate(package, data: "\(root)/\(name)", allowSeen: true)
            hits += Int((((scan.metrics["rotationAccuracy"] ?? nil) ?? 0) * 8).rounded())
        }
        XCTAssertGreaterThanOrEqual(Double(hits) / 24, 0.9, "held-out rotation \(hits)/24")
    }

    func testOrientationTrainingLearnsToUndoTurns() throws {
        let (root, output) = try trainOnWedgeScans(try wedgeConfig(), prefix: "equiscan-orient")
        let package = try ModelPackage.load(output)
        XCTAssertEqual(package.metadata.architecture, "DiscreteCanonicalizer")
        // Abstention thresholds chosen on the 3 validation scans, each in all 8 poses.
        let calibration = try XCTUnwrap(package.metadata.calibration)
        XCTAssertEqual(calibration.cases, 24)
        XCTAssertEqual(calibration.targetAccuracy, 0.98)
        XCTAssertEqual(package.metadata.minConfidence, calibration.rotation.threshold)
        XCTAssertEqual(package.metadata.mirrorMinConfidence, calibration.mirror?.threshold)
        XCTAssertEqual(package.metadata.mirrorIdentifiable, calibration.mirror?.reachesTarget)
        let report = try Evaluator.evaluate(package, data: "\(root)/upright", allowSeen: true)
        XCTAssertNotNil(report.metrics["coverage"] ?? nil)
        XCTAssertNotNil(report.metrics["mirrorCoverage"] ?? nil)
        XCTAssertEqual(report.cases, 12)
        XCTAssertEqual(report.bootstrap?.unit, "scan")
        XCTAssertNotNil(report.confidenceIntervals["rotationAccuracy"] ?? nil)
        XCTAssertEqual(report.perElement.count, 8)
        // The canonicalizer's scores are exactly equivariant, so every scan's canonical form
        // is the same whichever way it was turned.
        XCTAssertEqual(report.orbitConsistency, 1)
        let pose = (report.metrics["poseAccuracy"] ?? nil) ?? 0
        XCTAssertGreaterThanOrEqual(pose, 0.9, "pose accuracy \(pose)")

        // Every scan on its own, held-out (validation) and trained ones in one table, so no
        // held-out scan can hide in the average over all twelve.
        let heldOut = Set(try XCTUnwrap(PackageCaseList.load(.validation, package: output))
            .entries.map(\.path))
        XCTAssertEqual(heldOut.count, 3, "validationFraction 0.25 of 12 scans")
        var heldOutHits = 0
        for i in 0..<12 {
            let name = "upright/\(i).png"
            let scan = try Evaluator.evaluate(package, data: "\(root)/\(name)", allowSeen: true)
            let hits = Int((((scan.metrics["poseAccuracy"] ?? nil) ?? 0) * 8).rounded())
            print("orientation \(heldOut.contains(name) ? "held-out" : "trained") \(name): "
                  + "pose \(hits)/8, rotation "
                  + "\(Int((((scan.metrics["rotationAccuracy"] ?? nil) ?? 0) * 8).rounded()))/8")
            if heldOut.contains(name) { heldOutHits += hits }
        }
        // The same bound as over all twelve: at most 2 of the 24 held-out cases missed.
        print("orientation held-out scans: pose \(heldOutHits)/\(8 * heldOut.count)")
        XCTAssertGreaterThanOrEqual(Double(heldOutHits) / Double(8 * max(heldOut.count, 1)),
                                    0.9, "held-out pose accuracy")
        // The weights are a canonicalizer weight file that the Canonicalization module loads.
        let canonicalizer = try DiscreteCanonicalizer.load(
            from: URL(fileURLWithPath: "\(output)/weights.safetensors"))
        XCTAssertEqual(canonicalizer.group, .d4)
    }
}
