import Foundation
import Reports
import StrictJSON

/// Records and a run manifest written by hand for the report tests: a classifier with classes
/// A, B, C, a segmenter with labels background and cell, and a canonicalizer.
enum ReportFixtures {
    static let manifest = RunManifest(
        tool: .init(name: "equiscan", version: "test"),
        pipeline: .init(file: "p.json", name: "fixture <pipeline>", sha256: "ab12",
                        resolved: .object([("name", .string("fixture"))])),
        models: [
            .init(stage: "1 CanonicalizeOrientation", name: "upright", version: "1.0.0",
                  folder: "m/u", sha256: "00", outputs: []),
            .init(stage: "2 Classify", name: "classes", version: "2.0.0", folder: "m/c",
                  sha256: "11", outputs: ["A", "B", "C"]),
            .init(stage: "3 Segment", name: "cells", version: "3.0.0", folder: "m/s",
                  sha256: "22", outputs: ["background", "cell"]),
        ],
        inputs: ["in"], host: "host", startedAt: "2024-01-01T00:00:00Z",
        endedAt: "2024-01-01T00:01:00Z", counts: .init(cases: 3, ok: 2, failed: 1, skipped: 0))

    static let settings = ReportSettings(orbitCheck: true, orbitMinDice: 0.95,
                                         thumbnailSize: 96)

    /// Two ok cases and a failed one; the first pose's mirror is uncertain, the second is
    /// flagged by its orbit and its pose is uncertain; only it records mm².
    static var records: [CaseRecord] {
        var first = CaseRecord(case: "a/one", input: "in/a/one.png", inputSHA256: "f1")
        first.stageSeconds = ["0 LoadImage": 0.1, "2 Classify": 0.2]
        first.classification = .init(label: "A", probabilities: ["A": 0.9, "B": 0.06, "C": 0.04])
        first.pose = .init(rotation: 1, mirrored: false, confidence: 0.8, mirrorUncertain: true)
        first.segmentation = .init(areasPx: ["background": 90, "cell": 10], areasMm2: nil,
                                   mask: "a/one_mask.png")
        first.orbit = OrbitCheck(stages: [
            .init(stage: "2 Classify", group: "D4", consistent: true,
                  labels: ["r0": "A", "r1": "A"], probabilitySpread: 0.01),
        ], seconds: 0.5)
        var second = CaseRecord(case: "=cmd|' <img src=x onerror=alert(1)>",
                                input: "in/evil.png", inputSHA256: "f2")
        second.stageSeconds = ["0 LoadImage": 0.2, "2 Classify": 0.4]
        second.classification = .init(label: "A", probabilities: ["A": 0.6, "B": 0.3, "C": 0.1])
        second.pose = .init(rotation: 0, mirrored: true, confidence: 0.1, uncertain: true)
        second.segmentation = .init(areasPx: ["background": 70, "cell": 30],
                                    areasMm2: ["background": 0.7, "cell": 0.3], mask: nil)
        second.orbit = OrbitCheck(stages: [
            .init(stage: "3 Segment", group: "C4", consistent: false,
                  dice: ["r0": 1, "r1": 0.5], minDice: 0.5),
        ], seconds: 0.25)
        var third = CaseRecord(case: "b/broken", input: "in/b/broken.png", inputSHA256: "f3")
        third.status = .failed
        third.error = .init(stage: "0 LoadImage", message: "in/b/broken.png: not a PNG, \"x\"")
        third.stageSeconds = [:]
        return [first, second, third]
    }

    /// An output folder holding `run.json` and the records (as `equiscan run` writes them).
    static func outputFolder(in folder: String, records: [CaseRecord] = records) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: folder + "/run.json"))
        for record in records {
            let path = folder + "/" + CaseRecord.relativePath(forCase: record.case)
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try encoder.encode(record).write(to: URL(fileURLWithPath: path))
        }
    }
}
