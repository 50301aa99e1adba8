import Foundation
import ImageCodecs
import TensorCore
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// Training, validation and test parts: disjoint, seeded, and the test part never opened.
final class DataSplitTests: XCTestCase {
    /// Files `root/<class>/<i>.png` for each (class, count); only names matter to a split.
    func writeClassFolders(_ root: String, _ counts: [(String, Int)]) throws {
        for (name, count) in counts {
            for i in 0..<count {
                try TestImages.writeGrayPNG(width: 2, height: 2, pixels: [0, 1, 2, UInt8(i % 250)],
                                            to: "\(root)/\(name)/\(i).png")
            }
        }
    }

    func dataSpec(_ data: String, task: String = "classification") throws -> DataSpec {
        let model = task == "classification" ? "p4cnn" : "unet"
        let labels = task == "segmentation"
            ? #", "labels": [{"name": "bg", "value": 0}, {"name": "fg", "value": 255}]"# : ""
        return try TrainingConfig.parse("""
        {"name": "t", "task": "\(task)", "data": {\(data)\(labels)},
         "input": {"width": 16, "height": 16, "channels": 1},
         "model": {"kind": "\(model)", "group": "C4", "width": 2, "depth": 1},
         "training": {"epochs": 1, "optimizer": {"kind": "sgd", "learningRate": 0.1}}}
        """).data
    }

    func testConfigTakesTestFoldersOrAShareAndRefusesBothOrTooMuch() throws {
        let folders = try dataSpec(#""train": "a", "test": "b""#)
        XCTAssertEqual(folders.test, ["b"])
        XCTAssertNil(folders.testFraction)
        let share = try dataSpec(#""train": "a", "testFraction": 0.3"#)
        XCTAssertEqual(share.test, [])
        XCTAssertEqual(share.testFraction, 0.3)
        XCTAssertNil(try dataSpec(#""train": "a""#).testFraction)
        XCTAssertThrowsError(try dataSpec(#""train": "a", "test": "b", "testFraction": 0.2"#)) {
            XCTAssertTrue("\($0)".contains("/data/testFraction not allowed together with "
                                           + "\"test\""), "\($0)")
        }
        XCTAssertThrowsError(try dataSpec(
            #""train": "a", "validationFraction": 0.5, "testFraction": 0.5"#)) {
            XCTAssertTrue("\($0)".contains("/data/testFraction"), "\($0)")
        }
        XCTAssertThrowsError(try dataSpec(#""train": "a", "testFraction": 1"#)) {
            XCTAssertTrue("\($0)".contains("between 0 and 1"), "\($0)")
        }
    }

    /// 20 cases of one class and 10 of another, 20 % test and 20 % validation: per class
    /// 4 + 4 + 12 and 2 + 2 + 6, no case in two parts, the same parts for the same seed.
    func testThreeSeededPartsAreDisjointAndStratified() throws {
        let root = temporaryFolder(prefix: "equiscan-split")
        try writeClassFolders("\(root)/cls", [("a", 20), ("b", 10)])
        let spec = try dataSpec(#""train": "cls", "validationFraction": 0.2, "testFraction": 0.2"#)
        let split = try DatasetIndex.load(spec, task: .classification, dataRoot: root, seed: 8)
        XCTAssertEqual(split.test.classCounts, [4, 2])
        XCTAssertEqual(split.validation.classCounts, [4, 2])
        XCTAssertEqual(split.train.classCounts, [12, 6])
        let parts = [split.train, split.validation, split.test].map { Set($0.cases.map(\.image)) }
        XCTAssertEqual(parts.map(\.count).reduce(0, +), 30)
        XCTAssertEqual(parts[0].union(parts[1]).union(parts[2]).count, 30, "a case in two parts")
        XCTAssertEqual(try DatasetIndex.load(spec, task: .classification, dataRoot: root,
                                             seed: 8), split)
        XCTAssertNotEqual(try DatasetIndex.load(spec, task: .classification, dataRoot: root,
                                                seed: 9).test, split.test)
    }

    /// Without a test part the validation split is the one earlier versions made (so the
    /// sample models' recipes keep their held-out cases): per class, shuffle with the seeded
    /// generator and hold out the first round(n · fraction), at most n − 1.
    func testValidationOnlySplitIsTheEarlierPerClassSplit() throws {
        let root = temporaryFolder(prefix: "equiscan-split")
        try writeClassFolders("\(root)/cls", [("a", 9), ("b", 5), ("c", 2)])
        let index = try DatasetIndex.classificationFolders(root: "\(root)/cls", classes: [])
        for (fraction, seed) in [(0.25, UInt64(7)), (0.5, 3), (0.9, 11)] {
            var generator = SeededGenerator(seed: seed ^ 0x5EED_5B11)
            var expected = Set<Int>()
            for k in 0..<3 {
                var members = index.cases.indices
                    .filter { index.cases[$0].target == .classIndex(k) }
                generator.shuffle(&members)
                let take = min(Int((Double(members.count) * fraction).rounded()), members.count - 1)
                expected.formUnion(members.prefix(take))
            }
            let split = index.split(validationFraction: fraction, seed: seed)
            XCTAssertEqual(Set(split.validation.cases.map(\.image)),
                           Set(expected.map { index.cases[$0].image }), "fraction \(fraction)")
            XCTAssertEqual(split.train.cases.count + split.validation.cases.count, 16)
        }
    }

    func testOverlappingFoldersAreRefused() throws {
        let root = temporaryFolder(prefix: "equiscan-split")
        try writeClassFolders("\(root)/cls", [("a", 3), ("b", 3)])
        let spec = try dataSpec(#""train": "cls", "test": "cls""#)
        XCTAssertThrowsError(try DatasetIndex.load(spec, task: .classification, dataRoot: root,
                                                   seed: 1)) { error in
            XCTAssertEqual((error as? DataError)?.kind, .mismatch)
            XCTAssertTrue("\(error)".contains("is both a training and a test case"), "\(error)")
        }
    }

    /// The test part holds a scan that is not a PNG and a link to nowhere: decoding or even
    /// hashing either would fail the run. Training finishes, never asks the decoder for a test
    /// file, and lists the test files by path in `test-cases.txt`.
    func testTrainingNeverOpensTestCases() throws {
        let root = temporaryFolder(prefix: "equiscan-split")
        var generator = SeededGenerator(seed: 3)
        let square = { (x: Int, y: Int, x0: Int, y0: Int) in
            x >= x0 && x < x0 + 6 && y >= y0 && y < y0 + 6
        }
        try TrainingFixtures.writeSegmentationSet(root: root, count: 6, generator: &generator,
                                                  inside: square)
        try TrainingFixtures.writeSegmentationSet(root: "\(root)/held", count: 2,
                                                  generator: &generator, inside: square)
        try Data("not a PNG".utf8).write(to: URL(fileURLWithPath: "\(root)/held/seg/images/0.png"))
        try FileManager.default.removeItem(atPath: "\(root)/held/seg/images/1.png")
        try FileManager.default.createSymbolicLink(atPath: "\(root)/held/seg/images/1.png",
                                                   withDestinationPath: "\(root)/nowhere.png")
        let config = try TrainingConfig.parse("""
        {"name": "never-test", "task": "segmentation", "seed": 1,
         "data": {"train": "seg", "validationFraction": 0.34, "test": "held/seg",
                  "labels": [{"name": "background", "value": 0}, {"name": "square", "value": 255}]},
         "input": {"width": 16, "height": 16, "channels": 1},
         "model": {"kind": "unet", "group": "C4", "width": 2, "depth": 1},
         "training": {"epochs": 1, "batchSize": 4,
                      "optimizer": {"kind": "adam", "learningRate": 0.01}}}
        """)
        final class Opened { var paths: [String] = [] }
        let opened = Opened()
        let output = "\(root)/out"
        _ = try Trainer(config: config, options: TrainingOptions(
            dataRoot: root, output: output, decode: { path in
                opened.paths.append(path)
                return try ImageDecoder.decode(path: path)
            })).run()
        XCTAssertFalse(opened.paths.isEmpty)
        XCTAssertEqual(opened.paths.filter { $0.contains("/held/") }, [])
        let test = try XCTUnwrap(PackageCaseList.load(.test, package: output))
        XCTAssertEqual(test.entries.map(\.path),
                       ["held/seg/images/0.png", "held/seg/labels/0.png",
                        "held/seg/images/1.png", "held/seg/labels/1.png"])
        XCTAssertTrue(test.entries.allSatisfy { $0.sha256 == nil })
        let metadata = try ModelPackage.load(output).metadata.trainingData
        XCTAssertEqual(metadata.testCases, 2)
        XCTAssertEqual(metadata.test, ["held/seg"])
        XCTAssertEqual(metadata.trainCases + metadata.validationCases, 6)
    }
    /// `data.splitSeed` keeps the split while the training seed varies: trainings with seeds
    /// 1 and 2 and split seed 5 list the very cases that seed 5 alone splits off, and still
    /// train different weights; without it the two seeds split differently.
    func testSplitSeedFixesThePartsWhileTheTrainingSeedVaries() throws {
        let root = temporaryFolder(prefix: "equiscan-split")
        var generator = SeededGenerator(seed: 4)
        try TrainingFixtures.writeSegmentationSet(root: root, count: 12, generator: &generator) {
            x, y, x0, y0 in x >= x0 && x < x0 + 6 && y >= y0 && y < y0 + 6
        }
        func config(seed: Int, splitSeed: Int?) throws -> TrainingConfig {
            let extra = splitSeed.map { #""splitSeed": \#($0),"# } ?? ""
            return try TrainingConfig.parse("""
            {"name": "split-seed", "task": "segmentation", "seed": \(seed),
             "data": {"train": "seg", "validationFraction": 0.25, "testFraction": 0.25, \(extra)
                      "labels": [{"name": "background", "value": 0},
                                 {"name": "square", "value": 255}]},
             "input": {"width": 16, "height": 16, "channels": 1},
             "model": {"kind": "unet", "group": "C4", "width": 2, "depth": 1},
             "training": {"epochs": 1, "batchSize": 4,
                          "optimizer": {"kind": "adam", "learningRate": 0.01}}}
            """)
        }
        /// The package's three case lists (paths) and its weights' SHA-256.
        func train(_ name: String, seed: Int, splitSeed: Int?) throws
            -> (parts: [[String]], weights: String, metadata: ModelMetadata) {
            let output = "\(root)/\(name)"
            _ = try Trainer(config: try config(seed: seed, splitSeed: splitSeed),
                            options: TrainingOptions(dataRoot: root, output: output)).run()
            let parts = try [PackageCaseList.Part.training, .validation, .test].map {
                try XCTUnwrap(PackageCaseList.load($0, package: output)).entries.map(\.path)
            }
            let metadata = try ModelPackage.load(output).metadata
            return (parts, metadata.weights.sha256, metadata)
        }
        XCTAssertEqual(try config(seed: 3, splitSeed: nil).splitSeed, 3)
        XCTAssertEqual(try config(seed: 3, splitSeed: 5).splitSeed, 5)
        XCTAssertThrowsError(try config(seed: 3, splitSeed: -1)) {
            XCTAssertTrue("\($0)".contains("/data/splitSeed"), "\($0)")
        }
        let one = try train("one", seed: 1, splitSeed: 5)
        let two = try train("two", seed: 2, splitSeed: 5)
        let five = try train("five", seed: 5, splitSeed: nil)
        let plainOne = try train("plain-one", seed: 1, splitSeed: nil)
        let plainTwo = try train("plain-two", seed: 2, splitSeed: nil)
        XCTAssertEqual(one.parts, two.parts)
        XCTAssertEqual(one.parts, five.parts)
        XCTAssertEqual(one.parts.map(\.count), [6, 3, 3].map { $0 * 2 }, "images and labels")
        XCTAssertNotEqual(one.weights, two.weights, "the training seed still counts")
        XCTAssertNotEqual(plainOne.parts, plainTwo.parts, "the seed alone moves the split")
        XCTAssertEqual(one.metadata.trainingData.splitSeed, 5)
        XCTAssertEqual(one.metadata.training.seed, 1)
        XCTAssertNil(five.metadata.trainingData.splitSeed)
    }
}
