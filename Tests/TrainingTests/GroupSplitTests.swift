import Foundation
import ImageCodecs
import TensorCore
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// Group-aware splits: the slices of one volume, frames of one series or crops of one slide
/// never straddle two parts.
final class GroupSplitTests: XCTestCase {
    func orientationSpec(_ extra: String) throws -> DataSpec {
        try TrainingConfig.parse("""
        {"name": "t", "task": "orientation", "data": {"train": "scans"\(extra)},
         "input": {"width": 16, "height": 16, "channels": 1},
         "model": {"kind": "canonicalizer", "group": "D4", "width": 2, "depth": 1},
         "training": {"epochs": 1, "optimizer": {"kind": "sgd", "learningRate": 0.1}}}
        """).data
    }

    /// Per part, the source ids (the volume names) of its cases, by a naive reading of the
    /// file names.
    func volumes(_ index: DatasetIndex) -> Set<String> {
        Set(index.cases.map {
            String(($0.image as NSString).lastPathComponent.split(separator: "_")[0])
        })
    }

    /// 12 volumes of 1 to 6 slices (42 cases), 25 % test and 25 % validation by a filename
    /// rule: no volume in two parts, each held-out part within one volume's size of its share,
    /// and the same parts for the same seed.
    func testSlicesOfOneVolumeLandInOnePartAndSharesAreKept() throws {
        let root = temporaryFolder(prefix: "equiscan-groups")
        let sizes = [1, 6, 2, 5, 3, 4, 1, 6, 2, 5, 3, 4]
        var names: [String] = []
        for (v, size) in sizes.enumerated() {
            names += (0..<size).map { String(format: "vol%02d_slice%d.png", v, $0) }
        }
        try touchEmptyFiles("\(root)/scans", names)
        let spec = try orientationSpec(#", "testFraction": 0.25, "validationFraction": 0.25, "#
                                       + #""groupPattern": "^(.*)_slice\\d+""#)
        XCTAssertEqual(spec.groupPattern, #"^(.*)_slice\d+"#)
        for seed: UInt64 in [1, 2, 3, 4, 5] {
            let split = try DatasetIndex.load(spec, task: .orientation, dataRoot: root, seed: seed)
            let parts = [split.train, split.validation, split.test]
            XCTAssertEqual(parts.map(\.cases.count).reduce(0, +), 42)
            let owners = parts.map(volumes)
            for a in 0..<3 {
                for b in (a + 1)..<3 {
                    XCTAssertTrue(owners[a].isDisjoint(with: owners[b]),
                                  "seed \(seed): volumes \(owners[a].intersection(owners[b])) "
                                  + "in two parts")
                }
            }
            // round(42 · 0.25) = 11 cases each, give or take less than the largest volume.
            for held in [split.validation, split.test] {
                XCTAssertLessThan(abs(held.cases.count - 11), 6, "seed \(seed): "
                                  + "\(held.cases.count) held-out cases")
            }
            XCTAssertEqual(try DatasetIndex.load(spec, task: .orientation, dataRoot: root,
                                                 seed: seed), split)
        }
        let one = try DatasetIndex.load(spec, task: .orientation, dataRoot: root, seed: 1)
        let other = try DatasetIndex.load(spec, task: .orientation, dataRoot: root, seed: 2)
        XCTAssertNotEqual(volumes(one.test), volumes(other.test), "the seed should matter")
    }

    /// Without a rule every slice is its own group, so with this many cases some volume is
    /// split across parts: the test above would catch a rule that is ignored.
    func testWithoutARuleSlicesAreSplitApart() throws {
        let root = temporaryFolder(prefix: "equiscan-groups")
        try touchEmptyFiles("\(root)/scans", (0..<8).flatMap { v in
            (0..<5).map { String(format: "vol%02d_slice%d.png", v, $0) }
        })
        let spec = try orientationSpec(#", "validationFraction": 0.5"#)
        let split = try DatasetIndex.load(spec, task: .orientation, dataRoot: root, seed: 1)
        XCTAssertFalse(volumes(split.train).isDisjoint(with: volumes(split.validation)))
    }

    /// A `groups.csv` beside the scans names their sources (crops of slides, here across
    /// classes); unlisted scans stay on their own.
    func testSourceTableKeepsCropsOfOneSlideTogether() throws {
        let root = temporaryFolder(prefix: "equiscan-groups")
        var rows = ["file,group"]
        for (k, name) in ["a", "b"].enumerated() {
            var files: [String] = []
            for slide in 0..<6 {
                for crop in 0..<(2 + (slide + k) % 3) {
                    files.append("s\(slide)-\(crop)-\(name).png")
                    rows.append("\(name)/s\(slide)-\(crop)-\(name).png,slide\(slide)")
                }
            }
            try touchEmptyFiles("\(root)/cls/\(name)", files + ["loose-\(name).png"])
        }
        try (rows.joined(separator: "\n") + "\n")
            .write(toFile: "\(root)/cls/groups.csv", atomically: true, encoding: .utf8)
        let spec = try TrainingConfig.parse("""
        {"name": "t", "task": "classification",
         "data": {"train": "cls", "validationFraction": 0.3},
         "input": {"width": 16, "height": 16, "channels": 1},
         "model": {"kind": "p4cnn", "group": "C4", "width": 2, "depth": 1},
         "training": {"epochs": 1, "optimizer": {"kind": "sgd", "learningRate": 0.1}}}
        """).data
        let split = try DatasetIndex.load(spec, task: .classification, dataRoot: root, seed: 6)
        func slides(_ index: DatasetIndex) -> Set<String> {
            Set(index.cases.compactMap { c in
                let name = (c.image as NSString).lastPathComponent
                return name.hasPrefix("loose") ? nil : String(name.split(separator: "-")[0])
            })
        }
        XCTAssertTrue(slides(split.train).isDisjoint(with: slides(split.validation)),
                      "\(slides(split.train)) / \(slides(split.validation))")
        XCTAssertFalse(split.validation.cases.isEmpty)
        XCTAssertEqual(split.train.cases.count + split.validation.cases.count, 38)
        let sources = split.train.cases.map(\.source) + split.validation.cases.map(\.source)
        XCTAssertEqual(sources.filter { $0 == nil }.count, 2, "the two loose crops")
    }

    /// Folders given for two parts must not share a source either.
    func testGivenPartsSharingASourceAreRefused() throws {
        let root = temporaryFolder(prefix: "equiscan-groups")
        try touchEmptyFiles("\(root)/scans",
                            ["vol01_slice0.png", "vol01_slice1.png", "vol02_slice0.png"])
        try touchEmptyFiles("\(root)/held", ["vol01_slice2.png"])
        let spec = try orientationSpec(#", "test": "held", "groupPattern": "^(vol\\d+)_""#)
        XCTAssertThrowsError(try DatasetIndex.load(spec, task: .orientation, dataRoot: root,
                                                   seed: 1)) { error in
            XCTAssertEqual((error as? DataError)?.kind, .mismatch)
            XCTAssertTrue("\(error)".contains("source \"vol01\""), "\(error)")
        }
        let unrelated = try orientationSpec(#", "test": "held""#)
        XCTAssertNoThrow(try DatasetIndex.load(unrelated, task: .orientation, dataRoot: root,
                                               seed: 1))
    }

    func testGroupPatternMustCompileAndCapture() throws {
        XCTAssertThrowsError(try orientationSpec(#", "groupPattern": "(unclosed""#)) {
            XCTAssertTrue("\($0)".contains("/data/groupPattern expected a regular expression"),
                          "\($0)")
        }
        XCTAssertThrowsError(try orientationSpec(#", "groupPattern": "^vol\\d+""#)) {
            XCTAssertTrue("\($0)".contains("with a capture group"), "\($0)")
        }
    }
}
