import XCTest
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

final class TrainingConfigTests: XCTestCase {
    /// A valid classification config; tests replace one value at a time.
    static let valid = """
    {
      "name": "cells", "task": "classification", "seed": 7,
      "data": {"train": "cells/train", "validation": "cells/val",
               "classes": ["RBC", "WBC", "Platelets"]},
      "input": {"width": 32, "height": 32, "channels": 3,
                "normalization": {"kind": "percentile", "lower": 1, "upper": 99}},
      "model": {"kind": "p4cnn", "group": "D4", "width": 6, "depth": 3},
      "augmentation": {"groupElements": true, "flips": true, "crop": [24, 24],
                       "brightness": 0.1, "contrast": 0.1},
      "training": {"epochs": 5, "batchSize": 8,
                   "optimizer": {"kind": "adam", "learningRate": 0.001},
                   "schedule": {"kind": "cosine", "warmupEpochs": 1},
                   "classWeights": "balanced",
                   "earlyStopping": {"metric": "accuracy", "patience": 2}}
    }
    """

    func testValidConfigParsesEveryValue() throws {
        let config = try TrainingConfig.parse(Self.valid)
        XCTAssertEqual(config.name, "cells")
        XCTAssertEqual(config.task, .classification)
        XCTAssertEqual(config.seed, 7)
        XCTAssertEqual(config.data.train, ["cells/train"])
        XCTAssertEqual(config.data.classes, ["RBC", "WBC", "Platelets"])
        XCTAssertEqual(config.input.normalization, .percentile(lower: 1, upper: 99))
        XCTAssertEqual(config.model.group, .d4)
        XCTAssertEqual(config.model.width, 6)
        XCTAssertEqual(config.augmentation.crop, [24, 24])
        XCTAssertEqual(config.training.optimizer, .adam)
        XCTAssertEqual(config.training.learningRate, 0.001)
        XCTAssertEqual(config.training.schedule, .cosine)
        XCTAssertEqual(config.training.classWeights, .balanced)
        XCTAssertEqual(config.training.monitor, "accuracy")
        XCTAssertEqual(config.training.patience, 2)
    }

    /// Replaces the value at a dotted path of the valid config and returns the parse error.
    func error(setting path: [String], to replacement: String?,
               in base: String = valid) -> String {
        var root = try! JSONValue.parse(base)
        func set(_ value: JSONValue, _ keys: ArraySlice<String>) -> JSONValue {
            guard case .object(var members) = value, let key = keys.first else {
                return replacement.map { try! JSONValue.parse($0) } ?? value
            }
            if let index = members.firstIndex(where: { $0.key == key }) {
                if keys.count == 1, replacement == nil {
                    members.remove(at: index)
                } else {
                    members[index].value = set(members[index].value, keys.dropFirst())
                }
            } else if let replacement {
                members.append((key, try! JSONValue.parse(replacement)))
            }
            return .object(members)
        }
        root = set(root, path[...])
        do {
            _ = try TrainingConfig.parse(root.compactText)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testErrorsNamePositionAndPointerAndQuoteTheValue() {
        let cases: [([String], String?, String)] = [
            (["training", "optimizer", "learningRate"], "-1",
             "1:482 /training/optimizer/learningRate expected a positive number, got -1"),
            (["training", "epochs"], "2.5", "1:424 /training/epochs expected a whole number from 1 "
             + "to 100000, got 2.5"),
            (["training", "optimizer", "kind"], "\"rmsprop\"",
             "1:460 /training/optimizer/kind expected one of \"sgd\", \"adam\", \"adamw\", got "
             + "\"rmsprop\""),
            (["model", "group"], "\"C8\"",
             "1:279 /model/group expected one of \"C4\", \"D4\", got \"C8\""),
            (["input", "channels"], "2", "1:185 /input/channels expected 1 or 3, got 2"),
            (["input", "normalization"], "{\"kind\":\"window\",\"low\":400,\"high\":-1000}",
             "1:237 /input/normalization/high expected a number above low (400), got -1000"),
            (["task"], nil, "1:1 /task missing required key"),
            (["model", "kind"], "\"unet\"",
             "1:263 /model/kind expected \"p4cnn\" for a classification task, got \"unet\""),
            (["training", "earlyStopping", "metric"], "\"meanDice\"",
             "1:587 /training/earlyStopping/metric expected one of \"balancedAccuracy\", "
             + "\"accuracy\", \"macroF1\", \"loss\" for a classification task, got "
             + "\"meanDice\""),
            (["augmentation", "crop"], "[40, 28]",
             "1:363 /augmentation/crop/0 expected a crop width no larger than the input (32), "
             + "got 40"),
            (["training", "classWeights"], "[1, 2]",
             "1:550 /training/classWeights expected 3 weights (one per class), got 2"),
            (["data", "classes"], "[\"a\", \"a\"]",
             "1:120 /data/classes/1 duplicate class name \"a\""),
            (["augmentation", "crop"], "[24, 16]",
             "1:337 /augmentation/groupElements quarter turns need square images: set input "
             + "width and height equal or give a square /augmentation/crop"),
            (["augmentation", "crop"], "[20, 20]",
             "1:302 /model/depth 3 pooling steps need sizes divisible by 8, but "
             + "/augmentation/crop is 20"),
            (["training", "loss"], "\"rotationCrossEntropy\"",
             "1:619 /training/loss expected \"crossEntropy\" for a classification task "
             + "(rotationCrossEntropy is for orientation), got \"rotationCrossEntropy\""),
            (["data", "repeats"], "0",
             "1:151 /data/repeats expected a whole number from 1 to 1000, got 0"),
        ]
        for (path, value, expected) in cases {
            XCTAssertEqual(error(setting: path, to: value), expected, "setting \(path)")
        }
    }

    func testUnknownKeysAreErrorsWithSuggestions() {
        XCTAssertEqual(error(setting: ["training", "optimizer", "learningrate"], to: "0.1"),
                       "1:488 /training/optimizer/learningrate unknown key (did you mean "
                       + "\"learningRate\"?)")
        XCTAssertEqual(error(setting: ["colour"], to: "1"),
                       "1:613 /colour unknown key; allowed keys: name, version, description, task, "
                       + "seed, data, input, model, augmentation, training")
    }

    func testSyntaxErrorsGiveLineColumnAndPointer() {
        XCTAssertThrowsError(try TrainingConfig.parse("{\n  \"name\": \"x\",\n}")) { error in
            XCTAssertEqual("\(error)", "2:14 / trailing comma before '}'")
        }
        XCTAssertThrowsError(try TrainingConfig.parse("{\"data\": {\"train\": \"a\", "
                                                      + "\"train\": \"b\"}}")) { error in
            XCTAssertEqual("\(error)", "1:25 /data/train duplicate key \"train\"")
        }
        XCTAssertThrowsError(try TrainingConfig.parse("[1]", file: "c.json")) { error in
            XCTAssertEqual("\(error)", "c.json:1:1 / expected an object, got [1]")
        }
    }

    func testNullIsRefusedWhereAValueIsRequired() {
        let text = Self.valid.replacingOccurrences(of: "\"batchSize\": 8",
                                                   with: "\"batchSize\": null")
        XCTAssertThrowsError(try TrainingConfig.parse(text, file: "t.json")) { error in
            XCTAssertEqual("\(error)", "t.json:10:42 /training/batchSize expected a whole "
                           + "number from 1 to 4096, got null")
        }
        XCTAssertEqual(error(setting: ["seed"], to: "null"),
                       "1:48 /seed expected a whole number >= 0, got null")
        XCTAssertEqual(error(setting: ["augmentation"], to: "null"),
                       "1:320 /augmentation expected an object, got null")
    }

    func testMissingKeysAndCrossSectionRulesPointAtTheEnclosingValue() throws {
        let text = """
        {"name": "cells", "task": "classification",
         "data": {"train": "cells/train", "classes": ["a", "b"]},
         "input": {"width": 32, "height": 32, "channels": 1},
         "model": {"kind": "p4cnn", "depth": 3},
         "augmentation": {"crop": [20, 20]},
         "training": {"epochs": 1}}
        """
        XCTAssertThrowsError(try TrainingConfig.parse(text, file: "t.json")) { error in
            XCTAssertEqual("\(error)", "t.json:6:14 /training/optimizer missing required key")
        }
        let withOptimizer = text.replacingOccurrences(
            of: "\"epochs\": 1}", with: "\"epochs\": 1, \"optimizer\": {\"kind\": \"sgd\", "
            + "\"learningRate\": 0.1}}")
        XCTAssertThrowsError(try TrainingConfig.parse(withOptimizer, file: "t.json")) { error in
            XCTAssertEqual("\(error)", "t.json:4:38 /model/depth 3 pooling steps need sizes "
                           + "divisible by 8, but /augmentation/crop is 20")
        }
    }

    func testSegmentationLabelsAndUNetSizeRule() throws {
        let segmentation = """
        {"name": "em", "task": "segmentation",
         "data": {"train": "em", "validationFraction": 0.25,
                  "labels": [{"name": "interior", "value": 255},
                             {"name": "membrane", "values": [0]}]},
         "input": {"width": 128, "height": 128, "channels": 1},
         "model": {"kind": "unet", "group": "C4", "width": 4, "depth": 2},
         "augmentation": {"crop": [64, 64]},
         "training": {"epochs": 2, "optimizer": {"kind": "sgd", "learningRate": 0.01},
                      "loss": "crossEntropyDice"}}
        """
        let config = try TrainingConfig.parse(segmentation)
        XCTAssertEqual(config.data.labels.map(\.values), [[255], [0]])
        XCTAssertEqual(config.training.momentum, 0.9)
        XCTAssertEqual(config.training.monitor, "meanDice")
        XCTAssertEqual(error(setting: ["augmentation", "crop"], to: "[62, 64]", in: segmentation),
                       "1:262 /model/depth a U-Net of depth 2 needs sizes divisible by 4, "
                       + "but /augmentation/crop is 62")
        XCTAssertEqual(error(setting: ["data", "labels"],
                             to: "[{\"name\": \"a\", \"value\": 0}, {\"name\": \"b\", "
                             + "\"values\": [1, 0]}]", in: segmentation),
                       "1:140 /data/labels/1/values/1 pixel value 0 already belongs to another "
                       + "label")
    }

    func testLearningRateSchedules() throws {
        var spec = try TrainingConfig.parse(Self.valid).training
        spec.epochs = 5
        spec.warmupEpochs = 1
        spec.learningRate = 1
        spec.minimumLearningRate = 0
        // Warm-up: (0 + 1) / (1 + 1); then cosine over epochs 1...4 (span 3).
        let expected = [0.5, 1, 0.75, 0.25, 0]
        for (epoch, value) in expected.enumerated() {
            XCTAssertEqual(spec.learningRate(epoch: epoch), value, accuracy: 1e-12,
                           "epoch \(epoch)")
        }
        spec.schedule = .step
        spec.warmupEpochs = 0
        spec.stepEpochs = 2
        spec.gamma = 0.5
        XCTAssertEqual((0..<5).map { spec.learningRate(epoch: $0) }, [1, 1, 0.5, 0.5, 0.25])
    }

    func testJSONParserStrictness() {
        for bad in ["{\"a\": 01}", "{\"a\": NaN}", "[1,]", "{\"a\": 1} x", "\"\\x\"", "[1e999]"] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
        XCTAssertEqual(try JSONValue.parse("\"\\u00e9\\ud83d\\ude00\""), .string("é😀"))
        XCTAssertEqual(try JSONValue.parse(" [1.5e2, -0, true, null] ").compactText,
                       "[1.5e2,-0,true,null]")
    }
}
