import Foundation
import ModelRuntime
import PipelineEngine
import StrictJSON
import XCTest
import _TestSupport

/// Validation of pipeline files: every broken file gives its exact message at its exact
/// place, all problems of a file are reported in position order, and the shipped pipelines
/// validate.
final class PipelineValidationTests: XCTestCase {
    /// The package root (for `pipelines/` and `samples/models/`).
    static var packageRoot: URL {
        Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `pipelines/`: relative model paths in the table start here, as in the shipped files.
    static var pipelinesFolder: String {
        packageRoot.appendingPathComponent("pipelines").path
    }

    /// A pipeline `{"version": 1, "name": "t", "stages": [` on line 1, one stage per line
    /// from line 2, and `]}` on the last line.
    static func stages(_ lines: String...) -> String {
        "{\"version\": 1, \"name\": \"t\", \"stages\": [\n" + lines.joined(separator: ",\n")
            + "\n]}"
    }

    static let load = #"{"op": "LoadImage"}"#
    static let segment = #"{"op": "Segment", "model": "../samples/models/em-membranes"}"#

    /// Broken pipelines and the one problem each must report, as printed
    /// (`FILE:LINE:COL /pointer message`).
    static var brokenTable: [(text: String, expected: String)] {
        let missing = packageRoot.appendingPathComponent("samples/models/nope").path
        return [
            // Syntax (StrictJSON).
            (#"{"version": 1,}"#, "p.json:1:14 / trailing comma before '}'"),
            (#"{"version": 1 "name": "t"}"#,
             "p.json:1:15 / expected ',' or '}' after a member, got '\"'"),
            // Top level.
            (#"{"version": 1, "name": "t", "stages": [{"op": "LoadImage"}], "stagez": []}"#,
             "p.json:1:62 /stagez unknown key (did you mean \"stages\"?)"),
            (#"{"version": 2, "name": "t", "stages": [{"op": "LoadImage"}]}"#,
             "p.json:1:13 /version expected 1 (the only pipeline format version), got 2"),
            (#"{"version": "1", "name": "t", "stages": [{"op": "LoadImage"}]}"#,
             "p.json:1:13 /version expected 1 (the only pipeline format version), got \"1\""),
            (#"{"version": 1, "stages": [{"op": "LoadImage"}]}"#,
             "p.json:1:1 /name missing required key"),
            (#"{"version": 1, "name": "", "stages": [{"op": "LoadImage"}]}"#,
             "p.json:1:24 /name expected a non-empty string, got \"\""),
            (#"{"version": 1, "name": "t", "stages": []}"#,
             "p.json:1:39 /stages expected at least one stage, got []"),
            (#"{"version": 1, "name": "t", "stages": {"op": "LoadImage"}}"#,
             "p.json:1:39 /stages expected an array, got {\"op\":\"LoadImage\"}"),
            (#"{"version": 1, "name": "t", "stages": [{"op": "LoadImage"}], "inputs": "#
                + #"{"include": []}}"#,
             "p.json:1:84 /inputs/include expected a non-empty array of glob patterns, got []"),
            (#"{"version": 1, "name": "t", "stages": [{"op": "LoadImage"}], "inputs": "#
                + #"{"exclude": ["/tmp/*.png"]}}"#,
             "p.json:1:85 /inputs/exclude/0 expected a glob relative to the input folder, "
                + "got \"/tmp/*.png\""),
            (#"{"version": 1, "name": "t", "stages": [{"op": "LoadImage"}], "outputs": "#
                + #"{"layout": "tree"}}"#,
             "p.json:1:84 /outputs/layout expected one of \"mirror\", \"flat\", got \"tree\""),
            // Stage shapes and ops.
            (stages(load, "5"),
             "p.json:3:1 /stages/1 expected a stage object with an \"op\", got 5"),
            (stages(load, #"{"op": "Resise", "spatial_size": [64, 64]}"#),
             "p.json:3:8 /stages/1/op unknown op \"Resise\" (did you mean \"Resize\"?)"),
            (stages(load, #"{"model": "x"}"#), "p.json:3:1 /stages/1/op missing required key"),
            (stages(load, #"{"op": "Resize", "spatial_size": [64, 64], "color": "x"}"#),
             "p.json:3:44 /stages/1/color unknown key; allowed keys: op, id, input, spatial_size"),
            (stages(#"{"op": "LoadImage", "color": "rgb"}"#),
             "p.json:2:21 /stages/0/color unknown key (did you mean \"colour\"?)"),
            // Parameter types and ranges.
            (stages(#"{"op": "LoadImage", "colour": "grey"}"#),
             "p.json:2:31 /stages/0/colour expected one of \"keep\", \"gray\", \"rgb\", "
                + "got \"grey\""),
            (stages(#"{"op": "LoadImage", "page": -1}"#),
             "p.json:2:29 /stages/0/page expected a whole number from 0 to 2147483647, got -1"),
            (stages(load, #"{"op": "Resize", "spatial_size": [64]}"#),
             "p.json:3:34 /stages/1/spatial_size expected an array of 2 elements, got [64]"),
            (stages(load, #"{"op": "Resize", "spatial_size": [64, 0]}"#),
             "p.json:3:34 /stages/1/spatial_size expected [width, height] of positive whole "
                + "numbers, got [64,0]"),
            (stages(load, #"{"op": "Resize"}"#),
             "p.json:3:1 /stages/1/spatial_size missing required key"),
            (stages(load, #"{"op": "Rotate90", "k": 4}"#),
             "p.json:3:25 /stages/1/k expected a whole number from 0 to 3, got 4"),
            (stages(load, #"{"op": "Flip", "spatial_axis": 2}"#),
             "p.json:3:32 /stages/1/spatial_axis expected a whole number from 0 to 1, got 2"),
            (stages(load, #"{"op": "ScaleIntensityRange", "a_min": 10, "a_max": 10, "#
                    + #""b_min": 0, "b_max": 1}"#),
             "p.json:3:53 /stages/1/a_max expected a number greater than a_min (10), got 10"),
            (stages(load, #"{"op": "ScaleIntensityRange", "a_min": 0, "a_max": 255, "#
                    + #""b_min": 0, "b_max": 1, "clip": "yes"}"#),
             "p.json:3:89 /stages/1/clip expected true or false, got \"yes\""),
            (stages(load, #"{"op": "NormalizeIntensity", "lower": 2}"#),
             "p.json:3:39 /stages/1/lower lower and upper apply only to \"mode\": \"percentile\""),
            (stages(load, #"{"op": "NormalizeIntensity", "mode": "percentile", "lower": 99, "#
                    + #""upper": 1}"#),
             "p.json:3:74 /stages/1/upper expected a percentile greater than lower (99), got 1"),
            (stages(load, segment, #"{"op": "AsDiscrete"}"#),
             "p.json:4:1 /stages/2 needs \"argmax\": true or a \"threshold\" from 0 to 1"),
            (stages(load, segment, #"{"op": "AsDiscrete", "argmax": true, "threshold": 0.5}"#),
             "p.json:4:1 /stages/2 give either \"argmax\": true or \"threshold\", not both"),
            (stages(load, segment, #"{"op": "AsDiscrete", "threshold": 1.5}"#),
             "p.json:4:35 /stages/2/threshold expected a number from 0 to 1, got 1.5"),
            (stages(load, #"{"op": "SaveImage", "what": "scan", "format": "jpeg"}"#),
             "p.json:3:47 /stages/1/format expected one of \"png\", \"tiff\", got \"jpeg\""),
            (stages(load, #"{"op": "SaveImage", "format": "png"}"#),
             "p.json:3:1 /stages/1/what missing required key"),
            // Ids and references.
            (stages(#"{"op": "LoadImage", "id": "a b"}"#),
             "p.json:2:27 /stages/0/id expected an id of letters, digits, '-' and '_', "
                + "got \"a b\""),
            (stages(#"{"op": "LoadImage", "id": "x"}"#, #"{"op": "Flip", "id": "x", "#
                    + #""spatial_axis": 0}"#),
             "p.json:3:22 /stages/1/id duplicate id \"x\" (first given at /stages/0/id)"),
            (stages(#"{"op": "LoadImage", "id": "scan"}"#,
                    #"{"op": "Flip", "input": "@scna", "spatial_axis": 0}"#),
             "p.json:3:25 /stages/1/input no stage has id \"scna\" (did you mean \"@scan\"?)"),
            (stages(load, #"{"op": "Flip", "input": "@later", "spatial_axis": 0}"#,
                    #"{"op": "Flip", "id": "later", "spatial_axis": 1}"#),
             "p.json:3:25 /stages/1/input \"@later\" is stage 2, which runs later; a stage "
                + "takes only an earlier stage's output"),
            (stages(load, #"{"op": "Flip", "id": "me", "input": "@me", "spatial_axis": 0}"#),
             "p.json:3:37 /stages/1/input a stage cannot take its own output"),
            (stages(load, #"{"op": "Flip", "input": "scan", "spatial_axis": 0}"#),
             "p.json:3:25 /stages/1/input expected a reference \"@id\" to an earlier stage, "
                + "got \"scan\""),
            // Data flow.
            (stages(#"{"op": "Flip", "spatial_axis": 0}"#),
             "p.json:2:8 /stages/0/op the first stage must be LoadImage, got \"Flip\""),
            (stages(load, load), "p.json:3:8 /stages/1/op LoadImage can only be the first stage"),
            (stages(load, #"{"op": "InvertCanonicalization"}"#),
             "p.json:3:8 /stages/1/op InvertCanonicalization needs a value in the canonical "
                + "frame (from CanonicalizeOrientation), but stage 0 (LoadImage) gives an image "
                + "in the scan frame"),
            (stages(load, #"{"op": "SaveOverlay"}"#),
             "p.json:3:8 /stages/1/op SaveOverlay needs a mask (from AsDiscrete), but stage 0 "
                + "(LoadImage) gives an image"),
            (stages(load, #"{"op": "KeepLargestConnectedComponent"}"#),
             "p.json:3:8 /stages/1/op KeepLargestConnectedComponent needs a mask (from "
                + "AsDiscrete), but stage 0 (LoadImage) gives an image"),
            (stages(load, #"{"op": "SaveImage", "what": "mask"}"#),
             "p.json:3:8 /stages/1/op SaveImage of \"mask\" needs a mask (from AsDiscrete), but "
                + "stage 0 (LoadImage) gives an image; set \"what\": \"scan\" to save what it "
                + "gives"),
            // Models.
            (stages(load, #"{"op": "Classify", "model": "../samples/models/nope"}"#),
             "p.json:3:29 /stages/1/model model \"../samples/models/nope\" cannot be used: "
                + "\(missing): no such model package folder; check the path"),
            (stages(load, #"{"op": "Classify", "model": "../samples/models/em-membranes"}"#),
             "p.json:3:29 /stages/1/model model \"../samples/models/em-membranes\" is a "
                + "segmentation model; Classify needs a classification model"),
            (stages(load, #"{"op": "CanonicalizeOrientation", "#
                    + #""model": "../samples/models/bccd-cells"}"#),
             "p.json:3:44 /stages/1/model model \"../samples/models/bccd-cells\" is a "
                + "classification model; CanonicalizeOrientation needs an orientation model"),
            (stages(#"{"op": "LoadImage", "colour": "gray"}"#,
                    #"{"op": "Classify", "model": "../samples/models/bccd-cells"}"#),
             "p.json:3:8 /stages/1/op Classify's model \"../samples/models/bccd-cells\" takes "
                + "3 channels, but its input has 1, set by \"colour\": \"gray\" of stage 0 "
                + "(LoadImage)"),
            (stages(#"{"op": "LoadImage", "colour": "gray"}"#,
                    #"{"op": "Segment", "model": "../samples/models/em-membranes", "#
                    + #""overlap": 1}"#),
             "p.json:3:73 /stages/1/overlap expected a number from 0 up to, not including, 1, "
                + "got 1"),
        ]
    }

    func testEveryBrokenPipelineReportsItsOneProblemExactly() {
        let table = Self.brokenTable
        XCTAssertGreaterThanOrEqual(table.count, 30)
        for (number, entry) in table.enumerated() {
            let result = PipelineValidation.validate(text: entry.text, file: "p.json",
                                                     baseFolder: Self.pipelinesFolder)
            XCTAssertNil(result.plan, "case \(number)")
            XCTAssertEqual(result.problems.map(\.description), [entry.expected],
                           "case \(number): \(entry.text)")
        }
    }

    func testSeveralProblemsAreAllReportedInPositionOrder() {
        let text = """
            {"version": 1, "name": "t", "stages": [
            {"op": "Resize", "spatial_size": [0, 1]},
            {"op": "Rotate90", "k": 7, "colour": "rgb"},
            {"op": "Classify", "model": "../samples/models/mni-tissue"},
            {"op": "Flip", "input": "@nowhere"}
            ], "outputs": {"layout": "flat", "formats": ["xml"]}, "verison": 1}
            """
        let result = PipelineValidation.validate(text: text, file: "p.json",
                                                 baseFolder: Self.pipelinesFolder)
        XCTAssertEqual(result.problems.map(\.description), [
            "p.json:2:8 /stages/0/op the first stage must be LoadImage, got \"Resize\"",
            "p.json:2:34 /stages/0/spatial_size expected [width, height] of positive whole "
                + "numbers, got [0,1]",
            "p.json:3:25 /stages/1/k expected a whole number from 0 to 3, got 7",
            "p.json:3:28 /stages/1/colour unknown key; allowed keys: op, id, input, k",
            "p.json:4:29 /stages/2/model model \"../samples/models/mni-tissue\" is a "
                + "segmentation model; Classify needs a classification model",
            "p.json:5:1 /stages/3/spatial_axis missing required key",
            "p.json:5:25 /stages/3/input no stage has id \"nowhere\"",
            "p.json:6:46 /outputs/formats/0 expected one of \"json\", \"csv\", got \"xml\"",
            "p.json:6:55 /verison unknown key (did you mean \"version\"?)",
        ])
    }

    /// Every `pipelines/*.json` but `schema.json` (the pipelines' JSON Schema) is a pipeline.
    func testEveryShippedPipelineValidates() throws {
        let folder = Self.pipelinesFolder
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".json") && $0 != "schema.json" }.sorted()
        XCTAssertEqual(files, ["classify-cells.json", "orientation-correction.json",
                               "segment-brain-tissue.json", "segment-em.json"])
        for name in files {
            let result = try PipelineValidation.validate(
                path: (folder as NSString).appendingPathComponent(name))
            XCTAssertEqual(result.problems.map(\.description), [], name)
            let plan = try XCTUnwrap(result.plan, name)
            XCTAssertEqual(plan.stages.first?.spec.op, .loadImage, name)
            XCTAssertTrue(plan.stages.contains { $0.model != nil }, name)
        }
    }

    func testReferencesResolveToStageIndices() throws {
        let path = (Self.pipelinesFolder as NSString).appendingPathComponent("segment-em.json")
        let plan = try XCTUnwrap(try PipelineValidation.validate(path: path).plan)
        XCTAssertEqual(plan.stages.map(\.inputIndex), [nil, 0, 1, 2, 1, 2])
        XCTAssertEqual(plan.stages[1].model?.metadata.task, .segmentation)
        XCTAssertEqual(plan.stages[1].spec.parameters["overlap"], .number(0.25))
    }

    func testPlansCarryWhatEachStageGives() throws {
        func outputs(_ name: String) throws -> [InferredOutput] {
            let path = (Self.pipelinesFolder as NSString).appendingPathComponent(name)
            let plan = try XCTUnwrap(try PipelineValidation.validate(path: path).plan, name)
            return try plan.stages.map { try XCTUnwrap($0.output, name) }
        }
        let em = try outputs("segment-em.json")
        XCTAssertEqual(em.map(\.kind), [.image, .probabilities, .mask, .mask, .probabilities,
                                        .mask])
        XCTAssertEqual(em.map(\.labels),
                       [nil] + Array(repeating: ["cell", "membrane"], count: 5))
        XCTAssertEqual(em[0].channels, 1)
        XCTAssertTrue(em.allSatisfy { $0.frame == .scan })
        XCTAssertTrue(em.allSatisfy { $0.size == nil }, "no stage fixes the EM scan's size")
        let brain = try outputs("segment-brain-tissue.json")
        XCTAssertNil(brain[0].size)
        XCTAssertEqual(brain[1].size, .init(width: 192, height: 224))
        let upright = try outputs("orientation-correction.json")
        XCTAssertEqual(upright.map(\.frame), [.scan, .canonical(byStage: 1),
                                              .canonical(byStage: 1)])
        XCTAssertEqual(upright.map(\.channels), [1, 1, 1])
        let cells = try outputs("classify-cells.json")
        XCTAssertEqual(cells.map(\.kind), [.image, .classification])
        XCTAssertEqual(cells.map(\.channels), [3, nil])
        XCTAssertEqual(cells[1].labels, ["RBC", "WBC", "Platelets"])
    }

    func testSizesAndIntensitiesFollowTheStages() throws {
        let text = Self.stages(
            #"{"op": "LoadImage", "colour": "rgb"}"#,
            #"{"op": "NormalizeIntensity"}"#,
            #"{"op": "Resize", "spatial_size": [30, 20]}"#,
            #"{"op": "Rotate90", "k": 3}"#,
            #"{"op": "SpatialPad", "spatial_size": [25, 25]}"#,
            #"{"op": "CenterSpatialCrop", "roi_size": [22, 40]}"#,
            #"{"op": "Flip", "spatial_axis": 0}"#)
        let result = PipelineValidation.validate(text: text, file: "p.json",
                                                 baseFolder: Self.pipelinesFolder)
        let plan = try XCTUnwrap(result.plan, "\(result.problems)")
        let outputs = try plan.stages.map { try XCTUnwrap($0.output) }
        // 30×20 turned is 20×30; padded to at least 25 a side, 25×30; cropped to at most
        // 22×40, 22×30.
        XCTAssertEqual(outputs.map { $0.size?.description }, [nil, nil, "30×20", "20×30",
                                                              "25×30", "22×30", "22×30"])
        XCTAssertEqual(outputs.map(\.intensity), [.raw] + Array(repeating: .scaled(byStage: 1),
                                                                count: 6))
        XCTAssertTrue(outputs.allSatisfy { $0.kind == .image && $0.channels == 3 })
    }

    func testAMissingFileIsAnUnreadableInput() {
        XCTAssertThrowsError(try PipelineValidation.validate(path: "/nonexistent/p.json")) {
            let error = $0 as? ConfigError
            XCTAssertEqual(error?.isUnreadableFile, true)
            XCTAssertEqual(error?.description, "/nonexistent/p.json: cannot read the pipeline "
                           + "file (check that the path exists and is a readable file)")
        }
    }

    func testEveryOpHasDistinctParameterNamesOutsideTheStageKeys() {
        for op in StageOp.allCases {
            let names = op.parameters.map(\.name)
            XCTAssertEqual(Set(names).count, names.count, op.rawValue)
            XCTAssertTrue(Set(names).isDisjoint(with: ["op", "id", "input"]), op.rawValue)
        }
    }
}
