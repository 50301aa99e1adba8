import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// A table of pipeline files, each written to a temporary folder beside the sample model
/// packages, with the complete list of problems `PipelineValidation` must report for it, in
/// position order (an empty list: the file is valid).
///
/// The folder holds `p.json` and `models/`: links to the four packages of `samples/models`,
/// `models/altered-cells` (a copy of bccd-cells with the last byte of its weights inverted),
/// and no `models/em-membrane`. Expected lines are written relative to the folder
/// (`p.json:LINE:COL /pointer message`); `{tmp}` in a message stands for the folder.
final class BrokenPipelineTableTests: XCTestCase {
    struct Row {
        let name: String
        let text: String
        let expected: [String]
    }

    /// SHA-256 of samples/models/bccd-cells/weights.safetensors as committed (its metadata
    /// says the same), and of the same bytes with the last one inverted (`sha256sum`).
    static let cellsSHA = "6ae4b9bbb739e8171e860f2687077101444606e51e5bbb1c6cf83432e1bbe94e"
    static let alteredSHA = "2434060a192ab07c712b2e25cbacf14b57c3067c63a9202f465e4a1200e51fbf"

    static let rows: [Row] = syntaxAndKeys + parameters + modelsAndReferences + dataFlow
        + report

    static let syntaxAndKeys: [Row] = [
        Row(name: "trailing comma", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
            ]}
            """, expected: ["p.json:2:24 /stages trailing comma before ']'"]),
        Row(name: "stage object not closed", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"
            ]}
            """, expected: ["p.json:3:1 /stages/0 expected ',' or '}' after a member, got ']'"]),
        Row(name: "document not closed", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"}
            ]
            """, expected: ["p.json:1:1 / unterminated object: no closing '}'"]),
        Row(name: "bad literal", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "ScaleIntensityRange", "a_min": 0, "a_max": 255, "b_min": 0, "b_max": 1,
                 "clip": ture}
            ]}
            """, expected: ["p.json:4:14 /stages/1/clip invalid literal: expected 'true'"]),
        Row(name: "unknown top-level key", text: """
            {
                "version": 1,
                "name": "t",
                "stages": [{"op": "LoadImage"}],
                "ouputs": {"layout": "flat"}
            }
            """, expected: ["p.json:5:5 /ouputs unknown key (did you mean \"outputs\"?)"]),
        Row(name: "unknown stage key", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "Segment", "model": "models/em-membranes", "overlapp": 0.5}
            ]}
            """, expected: ["p.json:3:55 /stages/1/overlapp unknown key (did you mean "
                            + "\"overlap\"?)"]),
        Row(name: "wrong types", text: """
            {"version": 1, "name": 5, "stages": [
                {"op": "LoadImage", "page": "0"},
                {"op": "Rotate90", "k": 1.5},
                {"op": "SaveImage", "what": "scan", "format": ["png"]}
            ]}
            """, expected: [
                "p.json:1:24 /name expected a string, got 5",
                "p.json:2:33 /stages/0/page expected a whole number from 0 to 2147483647, "
                    + "got \"0\"",
                "p.json:3:29 /stages/1/k expected a whole number from 0 to 3, got 1.5",
                "p.json:4:51 /stages/2/format expected one of \"png\", \"tiff\", got [\"png\"]",
            ]),
        Row(name: "unknown op", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "Segmnet", "model": "models/em-membranes"},
                {"op": "AsDiscrete", "argmax": true}
            ]}
            """, expected: ["p.json:3:12 /stages/1/op unknown op \"Segmnet\" (did you mean "
                            + "\"Segment\"?)"]),
        Row(name: "missing required parameters", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "Flip"},
                {"op": "ScaleIntensityRange", "a_min": 0, "a_max": 255}
            ]}
            """, expected: [
                "p.json:3:5 /stages/1/spatial_axis missing required key",
                "p.json:4:5 /stages/2/b_min missing required key",
                "p.json:4:5 /stages/2/b_max missing required key",
            ]),
    ]

    static let parameters: [Row] = [
        Row(name: "k 4", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "Rotate90", "k": 4}
            ]}
            """, expected: ["p.json:3:29 /stages/1/k expected a whole number from 0 to 3, got 4"]),
        Row(name: "overlap 1", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/em-membranes", "overlap": 1}
            ]}
            """, expected: ["p.json:3:66 /stages/1/overlap expected a number from 0 up to, not "
                            + "including, 1, got 1"]),
        Row(name: "opacity 2", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/em-membranes"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "SaveOverlay", "opacity": 2}
            ]}
            """, expected: ["p.json:5:38 /stages/3/opacity expected a number from 0 to 1, got 2"]),
        Row(name: "percentile 101", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "NormalizeIntensity", "mode": "percentile", "upper": 101},
                {"op": "SaveImage", "what": "scan"}
            ]}
            """, expected: ["p.json:3:65 /stages/1/upper expected a number from 0 to 100, "
                            + "got 101"]),
        Row(name: "spatial_size [0, 5]", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "Resize", "spatial_size": [0, 5]}
            ]}
            """, expected: ["p.json:3:38 /stages/1/spatial_size expected [width, height] of "
                            + "positive whole numbers, got [0,5]"]),
        Row(name: "a_min equals a_max", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "ScaleIntensityRange", "a_min": 10, "a_max": 10, "b_min": 0, "b_max": 1}
            ]}
            """, expected: ["p.json:3:57 /stages/1/a_max expected a number greater than a_min "
                            + "(10), got 10"]),
        Row(name: "lower percentile not below upper", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "NormalizeIntensity", "mode": "percentile", "lower": 99, "upper": 99}
            ]}
            """, expected: ["p.json:3:78 /stages/1/upper expected a percentile greater than "
                            + "lower (99), got 99"]),
        Row(name: "AsDiscrete with neither and with both", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "id": "p", "model": "models/em-membranes"},
                {"op": "AsDiscrete"},
                {"op": "AsDiscrete", "input": "@p", "argmax": true, "threshold": 0.5}
            ]}
            """, expected: [
                "p.json:4:5 /stages/2 needs \"argmax\": true or a \"threshold\" from 0 to 1",
                "p.json:5:5 /stages/3 give either \"argmax\": true or \"threshold\", not both",
            ]),
    ]

    static let modelsAndReferences: [Row] = [
        Row(name: "missing model package", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/em-membrane"}
            ]}
            """, expected: ["p.json:3:32 /stages/1/model model \"models/em-membrane\" cannot be "
                            + "used: {tmp}/models/em-membrane: no such model package folder; "
                            + "check the path"]),
        Row(name: "weights differ from their SHA-256", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Classify", "model": "models/altered-cells"}
            ]}
            """, expected: ["p.json:3:33 /stages/1/model model \"models/altered-cells\" cannot "
                            + "be used: {tmp}/models/altered-cells/weights.safetensors: SHA-256 "
                            + "\(alteredSHA) differs from metadata.json (\(cellsSHA)): the "
                            + "weights changed"]),
        Row(name: "model of the wrong task", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/em-membranes"}
            ]}
            """, expected: ["p.json:3:48 /stages/1/model model \"models/em-membranes\" is a "
                            + "segmentation model; CanonicalizeOrientation needs an orientation "
                            + "model"]),
        Row(name: "reference to an unknown id", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "id": "scan", "colour": "gray"},
                {"op": "Segment", "id": "cells", "model": "models/em-membranes"},
                {"op": "SaveImage", "input": "@cell", "what": "probabilities"}
            ]}
            """, expected: ["p.json:4:34 /stages/2/input no stage has id \"cell\" (did you mean "
                            + "\"@cells\"?)"]),
        Row(name: "reference to a later stage", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "SaveImage", "input": "@turned", "what": "scan"},
                {"op": "Rotate90", "id": "turned"}
            ]}
            """, expected: ["p.json:3:34 /stages/1/input \"@turned\" is stage 2, which runs "
                            + "later; a stage takes only an earlier stage's output"]),
        Row(name: "reference to itself", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage"},
                {"op": "Flip", "id": "flip", "input": "@flip", "spatial_axis": 0}
            ]}
            """, expected: ["p.json:3:43 /stages/1/input a stage cannot take its own output"]),
        Row(name: "duplicate ids", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "id": "scan"},
                {"op": "Rotate90", "id": "scan"}
            ]}
            """, expected: ["p.json:3:30 /stages/1/id duplicate id \"scan\" (first given at "
                            + "/stages/0/id)"]),
        Row(name: "first stage not LoadImage", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "Resize", "spatial_size": [64, 64]},
                {"op": "Classify", "model": "models/bccd-cells"}
            ]}
            """, expected: ["p.json:2:12 /stages/0/op the first stage must be LoadImage, got "
                            + "\"Resize\""]),
    ]

    static let dataFlow: [Row] = kinds + modelInputs + poses + [
        Row(name: "two stages write one file", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/em-membranes"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "SaveImage", "what": "mask"},
                {"op": "KeepLargestConnectedComponent"},
                {"op": "SaveImage", "what": "mask"}
            ]}
            """, expected: ["p.json:7:12 /stages/5/op stage 5 writes the same file as stage 3 "
                            + "(<case>_mask.png); give one an id"]),
        Row(name: "an id that is another stage's default name", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "SaveImage", "id": "overlay", "what": "scan"},
                {"op": "Segment", "model": "models/em-membranes"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "SaveOverlay"},
                {"op": "SaveImage", "what": "mask", "format": "tiff"},
                {"op": "SaveImage", "what": "mask"}
            ]}
            """, expected: ["p.json:6:12 /stages/4/op stage 4 writes the same file as stage 1 "
                            + "(<case>_overlay.png); give one an id"]),
        Row(name: "several problems, in position order", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Segment", "id": "seg", "model": "models/em-membranes", "overlap": -0.1},
                {"op": "Rotate90", "k": 4},
                {"op": "SaveImage", "input": "@seg", "what": "mask"},
                {"op": "SaveImage", "what": "mask"}
            ], "outputs": {"formats": ["json", "xml"]}, "reprot": {}}
            """, expected: [
                "p.json:3:12 /stages/1/op Segment's model \"models/em-membranes\" takes 1 "
                    + "channel, but its input has 3, set by \"colour\": \"rgb\" of stage 0 "
                    + "(LoadImage)",
                "p.json:3:79 /stages/1/overlap expected a number from 0 up to, not including, "
                    + "1, got -0.1",
                "p.json:4:29 /stages/2/k expected a whole number from 0 to 3, got 4",
                "p.json:5:34 /stages/3/input SaveImage of \"mask\" needs a mask (from "
                    + "AsDiscrete), but stage 1 (Segment) gives probabilities; add AsDiscrete "
                    + "before it, or set \"what\": \"probabilities\" to save what it gives",
                "p.json:6:12 /stages/4/op stage 4 writes the same file as stage 3 "
                    + "(<case>_mask.png); give one an id",
                "p.json:7:36 /outputs/formats/1 expected one of \"json\", \"csv\", got \"xml\"",
                "p.json:7:45 /reprot unknown key (did you mean \"report\"?)",
            ]),
    ]

    /// The `report` object: its keys, their values, and the rules between them.
    static let report: [Row] = [
        Row(name: "an unknown report key", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Classify", "model": "models/bccd-cells"}
            ], "report": {"orbitChek": true}}
            """, expected: ["p.json:4:15 /report/orbitChek unknown key (did you mean "
                            + "\"orbitCheck\"?)"]),
        Row(name: "report values of the wrong kind or range", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Classify", "model": "models/bccd-cells"}
            ], "report": {"orbitCheck": "yes", "thumbnailSize": 8, "orbitMinDice": 2}}
            """, expected: [
                "p.json:4:29 /report/orbitCheck expected true or false, got \"yes\"",
                "p.json:4:53 /report/thumbnailSize expected a whole number from 16 to 512, "
                    + "got 8",
                "p.json:4:72 /report/orbitMinDice expected a number from 0 to 1, got 2",
            ]),
        Row(name: "report is not an object", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"}
            ], "report": [true]}
            """, expected: ["p.json:3:14 /report expected an object, got [true]"]),
        Row(name: "a Dice threshold without the orbit check", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/em-membranes"}
            ], "report": {"orbitMinDice": 0.9}}
            """, expected: ["p.json:4:31 /report/orbitMinDice applies only with "
                            + "\"orbitCheck\": true"]),
        Row(name: "the orbit check without a model stage to check", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"}
            ], "report": {"orbitCheck": true}}
            """, expected: ["p.json:4:29 /report/orbitCheck the orbit check runs Classify and "
                            + "Segment stages under their model's group, and this pipeline has "
                            + "neither"]),
        Row(name: "every report key", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/em-membranes"}
            ], "report": {"orbitCheck": true, "orbitMinDice": 0.9, "thumbnailSize": 64}}
            """, expected: []),
    ]

    /// Stages given a kind of value they do not take.
    static let kinds: [Row] = [
        Row(name: "AsDiscrete of an image", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "SaveImage", "what": "mask"}
            ]}
            """, expected: ["p.json:3:12 /stages/1/op AsDiscrete needs probabilities (from "
                            + "Segment), but stage 0 (LoadImage) gives an image"]),
        Row(name: "a classification taken by a stage", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Classify", "id": "type", "model": "models/bccd-cells"},
                {"op": "Resize", "input": "@type", "spatial_size": [64, 64]}
            ]}
            """, expected: ["p.json:4:31 /stages/2/input Resize needs an image, probabilities or "
                            + "a mask, but stage 1 (Classify) gives a classification; a "
                            + "classification goes to the results record, and no stage takes "
                            + "it"]),
        Row(name: "SaveImage of a classification", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Classify", "model": "models/bccd-cells"},
                {"op": "SaveImage", "what": "scan"}
            ]}
            """, expected: ["p.json:4:12 /stages/2/op SaveImage of \"scan\" needs an image, but "
                            + "stage 1 (Classify) gives a classification; a classification goes "
                            + "to the results record, and no stage takes it"]),
        Row(name: "SaveImage of a mask from probabilities", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/em-membranes"},
                {"op": "SaveImage", "what": "mask"}
            ]}
            """, expected: ["p.json:4:12 /stages/2/op SaveImage of \"mask\" needs a mask (from "
                            + "AsDiscrete), but stage 1 (Segment) gives probabilities; add "
                            + "AsDiscrete before it, or set \"what\": \"probabilities\" to save "
                            + "what it gives"]),
        Row(name: "SaveImage of a scan from a mask", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/mni-tissue"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "SaveImage", "what": "scan"}
            ]}
            """, expected: ["p.json:5:12 /stages/3/op SaveImage of \"scan\" needs an image, but "
                            + "stage 2 (AsDiscrete) gives a mask; set \"what\": \"mask\" to save "
                            + "what it gives"]),
        Row(name: "largest component of probabilities", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Segment", "model": "models/mni-tissue"},
                {"op": "KeepLargestConnectedComponent"}
            ]}
            """, expected: ["p.json:4:12 /stages/2/op KeepLargestConnectedComponent needs a mask "
                            + "(from AsDiscrete), but stage 1 (Segment) gives probabilities; add "
                            + "AsDiscrete before it"]),
        Row(name: "overlay of a mask in the canonical frame", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "Segment", "model": "models/em-membranes"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "SaveOverlay"}
            ]}
            """, expected: ["p.json:6:12 /stages/4/op SaveOverlay needs a mask in the scan "
                            + "frame, but stage 3 (AsDiscrete) gives a mask in the canonical "
                            + "frame of stage 1 (CanonicalizeOrientation); add "
                            + "InvertCanonicalization before it"]),
        Row(name: "inverting a value in the scan frame", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "id": "scan", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "InvertCanonicalization", "input": "@scan"}
            ]}
            """, expected: ["p.json:4:47 /stages/2/input InvertCanonicalization needs a value in "
                            + "the canonical frame (from CanonicalizeOrientation), but stage 0 "
                            + "(LoadImage) gives an image in the scan frame"]),
    ]

    /// A model stage's input against what its package says it takes.
    static let modelInputs: [Row] = [
        Row(name: "channels through a reference", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "id": "scan", "colour": "rgb"},
                {"op": "Classify", "model": "models/bccd-cells"},
                {"op": "Segment", "input": "@scan", "model": "models/em-membranes"}
            ]}
            """, expected: ["p.json:4:32 /stages/2/input Segment's model \"models/em-membranes\" "
                            + "takes 1 channel, but its input has 3, set by \"colour\": \"rgb\" "
                            + "of stage 0 (LoadImage)"]),
        Row(name: "channels kept through a canonicalizer", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "Classify", "model": "models/bccd-cells"}
            ]}
            """, expected: ["p.json:4:12 /stages/2/op Classify's model \"models/bccd-cells\" "
                            + "takes 3 channels, but its input has 1, set by \"colour\": "
                            + "\"gray\" of stage 0 (LoadImage)"]),
        Row(name: "a gray canonicalizer scores a colour image by its luma", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "Classify", "model": "models/bccd-cells"}
            ]}
            """, expected: []),
        Row(name: "scaled intensities into Segment", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "NormalizeIntensity", "mode": "percentile", "lower": 1, "upper": 99},
                {"op": "Segment", "model": "models/em-membranes"}
            ]}
            """, expected: ["p.json:4:12 /stages/2/op Segment needs raw intensities, as its model "
                            + "\"models/em-membranes\" normalises its input itself "
                            + "(input.normalization: percentile 1 to 99), but stage 1 "
                            + "(NormalizeIntensity) has scaled them; take its input from before "
                            + "that stage"]),
        Row(name: "scaled intensities through a Resize", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "ScaleIntensityRange", "a_min": 0, "a_max": 255, "b_min": 0, "b_max": 1},
                {"op": "Resize", "spatial_size": [64, 64]},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"}
            ]}
            """, expected: ["p.json:5:12 /stages/3/op CanonicalizeOrientation needs raw "
                            + "intensities, as its model \"models/orientation-d4\" normalises its "
                            + "input itself (input.normalization: percentile 1 to 99.5), but "
                            + "stage 1 (ScaleIntensityRange) has scaled them; take its input from "
                            + "before that stage"]),
        Row(name: "Classify of a known size that is not the model's", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Resize", "spatial_size": [48, 48]},
                {"op": "SpatialPad", "spatial_size": [64, 32]},
                {"op": "Classify", "model": "models/bccd-cells"}
            ]}
            """, expected: ["p.json:5:12 /stages/3/op Classify's model \"models/bccd-cells\" "
                            + "takes 64×64 images, but its input is 64×48, set by stage 2 "
                            + "(SpatialPad); the model would resample it to 64×64: resize to "
                            + "[64, 64] or leave the size to the model"]),
        Row(name: "valid: a crop to the model's size", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "rgb"},
                {"op": "Resize", "spatial_size": [100, 80]},
                {"op": "CenterSpatialCrop", "roi_size": [64, 64]},
                {"op": "Classify", "model": "models/bccd-cells"}
            ]}
            """, expected: []),
        Row(name: "valid: Segment of a mirrored scan smaller than its windows", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "Resize", "spatial_size": [32, 32]},
                {"op": "Flip", "spatial_axis": 1},
                {"op": "Segment", "model": "models/em-membranes"},
                {"op": "AsDiscrete", "threshold": 0.5},
                {"op": "SaveOverlay"}
            ]}
            """, expected: []),
    ]

    /// Turns and mirrors between CanonicalizeOrientation and InvertCanonicalization.
    static let poses: [Row] = [
        Row(name: "a mirror in the canonical frame", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "Flip", "spatial_axis": 1},
                {"op": "Segment", "model": "models/mni-tissue"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "InvertCanonicalization"},
                {"op": "SaveOverlay"}
            ]}
            """, expected: ["p.json:7:12 /stages/5/op InvertCanonicalization cannot return to "
                            + "the scan frame: stage 2 (Flip) mirrored the value in the canonical "
                            + "frame of stage 1 (CanonicalizeOrientation), and undoing each "
                            + "scan's pose turns the mirror's axis with it; flip after "
                            + "InvertCanonicalization instead"]),
        Row(name: "a quarter turn under D4 poses", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "Rotate90", "k": 1},
                {"op": "InvertCanonicalization"},
                {"op": "SaveImage", "what": "scan"}
            ]}
            """, expected: ["p.json:5:12 /stages/3/op InvertCanonicalization cannot return to "
                            + "the scan frame: stage 2 (Rotate90) turned the value by a quarter "
                            + "turn in the canonical frame of stage 1 (CanonicalizeOrientation), "
                            + "whose D4 poses include mirror images, and undoing a mirrored pose "
                            + "reverses the turn; rotate after InvertCanonicalization instead"]),
        Row(name: "two mirrors that make a quarter turn", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "Flip", "spatial_axis": 0},
                {"op": "Rotate90", "k": 1},
                {"op": "Flip", "spatial_axis": 0},
                {"op": "InvertCanonicalization"}
            ]}
            """, expected: ["p.json:7:12 /stages/5/op InvertCanonicalization cannot return to "
                            + "the scan frame: stage 2 (Flip), stage 3 (Rotate90) and stage 4 "
                            + "(Flip) turned the value by a quarter turn in the canonical frame "
                            + "of stage 1 (CanonicalizeOrientation), whose D4 poses include "
                            + "mirror images, and undoing a mirrored pose reverses the turn; "
                            + "rotate after InvertCanonicalization instead"]),
        Row(name: "valid: a half turn, and a mirror undone by a second", text: """
            {"version": 1, "name": "t", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CanonicalizeOrientation", "model": "models/orientation-d4"},
                {"op": "Rotate90", "k": 2},
                {"op": "Flip", "spatial_axis": 0},
                {"op": "Flip", "spatial_axis": 0},
                {"op": "InvertCanonicalization"},
                {"op": "SaveImage", "what": "scan"}
            ]}
            """, expected: []),
    ]

    /// The temporary folder with `models/` as described above.
    func modelFolder() throws -> String {
        let folder = temporaryFolder(prefix: "broken-pipelines")
        let models = (folder as NSString).appendingPathComponent("models")
        let samples = PipelineValidationTests.packageRoot
            .appendingPathComponent("samples/models").path
        let files = FileManager.default
        try files.createDirectory(atPath: models, withIntermediateDirectories: true)
        for name in ["bccd-cells", "em-membranes", "mni-tissue", "orientation-d4"] {
            try files.createSymbolicLink(
                atPath: (models as NSString).appendingPathComponent(name),
                withDestinationPath: (samples as NSString).appendingPathComponent(name))
        }
        let altered = (models as NSString).appendingPathComponent("altered-cells")
        try files.copyItem(atPath: (samples as NSString).appendingPathComponent("bccd-cells"),
                           toPath: altered)
        let weights = URL(fileURLWithPath: altered).appendingPathComponent("weights.safetensors")
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: weights)
        return folder
    }

    func testEveryRowReportsExactlyItsProblems() throws {
        XCTAssertGreaterThanOrEqual(Self.rows.count, 30)
        XCTAssertEqual(Set(Self.rows.map(\.name)).count, Self.rows.count, "row names repeat")
        let folder = try modelFolder()
        let file = (folder as NSString).appendingPathComponent("p.json")
        for row in Self.rows {
            try row.text.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try PipelineValidation.validate(path: file)
            let expected = row.expected.map {
                folder + "/" + $0.replacingOccurrences(of: "{tmp}", with: folder)
            }
            XCTAssertEqual(result.problems.map(\.description), expected, row.name)
            XCTAssertEqual(result.plan == nil, !expected.isEmpty, row.name)
        }
    }
}
