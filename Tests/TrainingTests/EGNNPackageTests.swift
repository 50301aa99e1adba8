import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import TensorCore
import Training
import XCTest
import _TestSupport

/// EGNN orientation packages: training from a config on synthetic upright scans, writing,
/// verified loading, and scan poses through `EGNNScanCanonicalizer`.
final class EGNNPackageTests: XCTestCase {
    /// A 48 × 48 "upright" scan: a bright cap at the top, a dimmer spot lower left, noise.
    private func uprightPixels(_ generator: inout SeededGenerator) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: 48 * 48)
        let spot = 14 + Double(generator.nextInt(below: 6))
        for r in 0..<48 {
            for c in 0..<48 {
                let cap = exp(-(pow(Double(r) - 10, 2) + pow(Double(c) - 24, 2)) / 40)
                let low = 0.5 * exp(-(pow(Double(r) - 34, 2) + pow(Double(c) - spot, 2)) / 20)
                let value = 200 * (cap + low) + 20 * generator.nextDouble()
                pixels[r * 48 + c] = UInt8(min(255, value))
            }
        }
        return pixels
    }

    /// The test config as JSON, `steps` and `layers` as given.
    private func configJSON(steps: Int, layers: Int = 2) -> String {
        """
        {"name": "egnn-test", "version": "0.1.0", "description": "test", "seed": 3,
         "data": {"train": ["train"], "validation": ["validation"]},
         "keypoints": {"grid": 12, "normalization": {"minMax": {}}},
         "model": {"kind": "egnn", "group": "SO2", "hiddenFeatures": 12, "messageFeatures": 12,
                   "vectorChannels": 3, "layers": \(layers), "neighbours": 6},
         "training": {"steps": \(steps), "batchSize": 4, "learningRate": 0.01,
                      "workingSize": 48, "validationTurns": 6}}
        """
    }

    private func config(steps: Int) throws -> EGNNTrainingConfig {
        try JSONDecoder().decode(EGNNTrainingConfig.self, from: Data(configJSON(steps: steps).utf8))
    }

    private func trainedPackage() throws -> (package: EGNNPackage, folder: String) {
        let root = temporaryFolder(prefix: "egnn-package")
        var generator = SeededGenerator(seed: 9)
        for (folder, count) in [("train", 4), ("validation", 2)] {
            for i in 0..<count {
                try TestImages.writeGrayPNG(width: 48, height: 48,
                                            pixels: uprightPixels(&generator),
                                            to: "\(root)/\(folder)/\(i).png")
            }
        }
        let output = "\(root)/model"
        let package = try EGNNTraining.run(try config(steps: 60), dataRoot: root, output: output,
                                           configText: configJSON(steps: 60))
        return (package, output)
    }

    func testTrainWriteAndLoad() throws {
        let (package, folder) = try trainedPackage()
        XCTAssertTrue(EGNNPackage.holdsEGNN(folder))
        let loaded = try EGNNPackage.load(folder)
        XCTAssertEqual(loaded.metadata, package.metadata)
        XCTAssertEqual(loaded.metadata.architecture, "EGNNCanonicalizer")
        XCTAssertEqual(loaded.metadata.trainingData.trainCases, 4)
        // A model that learnt the cap finds the held-out scans' turns within a few degrees.
        let median = try XCTUnwrap(loaded.metadata.validationMetrics["medianAngleError"])
        XCTAssertLessThan(median, 10, "median held-out angle error \(median)°")
        let csv = try String(contentsOfFile: "\(folder)/training-log.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 61)
        XCTAssertEqual(try String(contentsOfFile: "\(folder)/\(ModelPackage.trainingConfigFile)",
                                  encoding: .utf8), configJSON(steps: 60))
        // Changed weights are refused by their SHA-256.
        let weights = "\(folder)/\(ModelPackage.weightsFile)"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: weights))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: URL(fileURLWithPath: weights))
        XCTAssertThrowsError(try EGNNPackage.load(folder)) { error in
            XCTAssertTrue("\(error)".contains("SHA-256"), "\(error)")
        }
    }

    func testQuarterTurnOfAScanTurnsItsPoseByNinetyDegrees() throws {
        // A 48 × 48 scan turned by an exact quarter turn: a 12-cell grid maps cell to cell, so
        // the keypoints turn exactly and the poses differ by exactly 90°.
        let model = try EGNNCanonicalizer(configuration: try config(steps: 1).network)
        model.eval()
        let metadata = EGNNPackageMetadata(
            name: "t", version: "1", description: "t", group: .so2,
            keypoints: try config(steps: 1).keypoints,
            trainingData: .init(train: [], validation: [], validationFraction: nil,
                                trainCases: 0, validationCases: 0, trainCasesPerClass: nil),
            training: .init(seed: 0, steps: 0, batchSize: 1, learningRate: 0, mode: "alone",
                            model: model.configuration),
            validationMetrics: [:], weights: .init(file: "", sha256: ""))
        let folder = temporaryFolder(prefix: "egnn-turn")
        let canonicalizer = EGNNScanCanonicalizer(try EGNNPackage.write(model, metadata: metadata,
                                                                        to: folder))
        var generator = SeededGenerator(seed: 4)
        let scan = TestImages.grayScan(width: 48, height: 48, pixels: uprightPixels(&generator))
        let pose = try canonicalizer.pose(of: scan, file: "a.png")
        let turned = try canonicalizer.pose(of: scan.rotated90(times: 1), file: "b.png")
        let difference = OrientationFrame.angleDifference(
            (turned.angleDegrees - pose.angleDegrees) * .pi / 180, .pi / 2) * 180 / .pi
        XCTAssertEqual(difference, 0, accuracy: 1e-3)
        // Upright copies of both agree (bicubic, zero corners) inside the inscribed disc.
        let a = try canonicalizer.upright(scan, pose: pose, file: "a.png")
        let b = try canonicalizer.upright(scan.rotated90(times: 1), pose: turned, file: "b.png")
        guard case .uint8(let pa) = a.samples, case .uint8(let pb) = b.samples else {
            return XCTFail("upright copies must keep 8-bit samples")
        }
        var worst = 0
        for r in 0..<48 {
            for c in 0..<48 where pow(Double(r) - 23.5, 2) + pow(Double(c) - 23.5, 2) < 400 {
                worst = max(worst, abs(Int(pa[r * 48 + c]) - Int(pb[r * 48 + c])))
            }
        }
        XCTAssertLessThanOrEqual(worst, 1, "worst sample difference inside the disc \(worst)")
    }

    func testConfigErrorsNameTheProblem() throws {
        let folder = temporaryFolder(prefix: "egnn-config")
        let path = "\(folder)/c.json"
        try Data(configJSON(steps: 0).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertTrue(EGNNTrainingConfig.isEGNN(path: path))
        XCTAssertThrowsError(try EGNNTrainingConfig.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("steps"), "\(error)")
        }
        try Data(configJSON(steps: 5, layers: 0).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try EGNNTrainingConfig.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("layers 0"), "\(error)")
        }
        try Data("{\"model\": {\"kind\": \"p4cnn\"}}".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(EGNNTrainingConfig.isEGNN(path: path))
    }
}
