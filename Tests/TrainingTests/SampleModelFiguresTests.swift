import Foundation
import XCTest
import _TestSupport

/// The figures samples/models/README.md quotes are the ones in each package's
/// `evaluation.json` and `metadata.json`.
final class SampleModelFiguresTests: XCTestCase {
    private let root = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("samples/models")

    private func json(_ model: String, _ file: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("\(model)/\(file)"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func figure(_ value: Any?) throws -> String {
        String(format: "%.3f", try XCTUnwrap(value as? Double))
    }

    func testReadmeQuotesTheEvaluationAndMetadataFigures() throws {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"),
                                encoding: .utf8)
        let quoted: [String: [(String, String)]] = [
            "bccd-cells": [("accuracy", "accuracy"), ("balancedAccuracy", "balanced accuracy"),
                           ("macroF1", "macro F1")],
            "em-membranes": [("meanDice", "membrane Dice"), ("meanIoU", "IoU")],
            "mni-tissue": [("meanDice", "mean Dice"), ("meanIoU", "mean IoU")],
            "orientation-d4": [("rotationAccuracy", "rotation accuracy"),
                               ("mirrorAccuracy", "mirror"), ("poseAccuracy", "full pose")],
        ]
        for (model, names) in quoted {
            let line = try XCTUnwrap(readme.split(separator: "\n")
                .first { $0.hasPrefix("| `\(model)`") }, model)
            let evaluation = try XCTUnwrap(try json(model, "evaluation.json")["metrics"]
                as? [String: Any])
            for (key, words) in names {
                let text = "\(words) \(try figure(evaluation[key]))"
                XCTAssertTrue(line.contains(text), "\(model): README lacks '\(text)'")
            }
            let metadata = try XCTUnwrap(try json(model, "metadata.json")["validationMetrics"]
                as? [String: Any])
            for (key, _) in names {
                let value = try figure(metadata[key])
                if value != (try figure(evaluation[key])) {
                    XCTAssertTrue(readme.contains(value),
                                  "\(model): metadata \(key) \(value) is not in the README")
                }
            }
        }
    }
}
