import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// Finding a run's cases: glob semantics, ids that mirror the tree, hidden files, the output
/// folder inside an input, and files that would share an id.
final class CaseDiscoveryTests: XCTestCase {
    private func touch(_ folder: String, _ relative: [String]) throws {
        for path in relative {
            let full = (folder as NSString).appendingPathComponent(path)
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            XCTAssertTrue(FileManager.default.createFile(atPath: full, contents: Data([1])))
        }
    }

    private let all = InputSelection(include: InputSelection.defaultInclude, exclude: [])

    func testGlobSegmentsAndDoubleStar() {
        let cases: [(String, String, Bool)] = [
            ("**/*.png", "a.png", true),
            ("**/*.png", "x/y/a.png", true),
            ("**/*.png", "x/y/a.tif", false),
            ("**/*.png", "A.PNG", true),  // letter case ignored
            ("*.png", "x/a.png", false),  // one segment only
            ("x/**/a.png", "x/a.png", true),
            ("x/**/a.png", "x/p/q/a.png", true),
            ("x/**/a.png", "y/a.png", false),
            ("**/*_mask.png", "sub/z1_mask.png", true),
            ("**/*_mask.png", "sub/z1.png", false),
            ("scan_??.tif", "scan_07.tif", true),
            ("scan_??.tif", "scan_7.tif", false),
            ("[ab]*.png", "b1.png", true),
            ("[ab]*.png", "c1.png", false),
        ]
        for (pattern, path, expected) in cases {
            XCTAssertEqual(GlobPattern(pattern).matches(path), expected, "\(pattern) ~ \(path)")
        }
    }

    func testIdsMirrorTheTreeWithoutExtensionsSortedAndHiddenSkipped() throws {
        let root = temporaryFolder()
        try touch(root, ["b/two.png", "a/one.tif", "c.jpg", ".hidden.png", "x/.tmp/y.png",
                         "notes.txt", "a/.scan.png.tmp-12-abcdef"])
        let cases = try CaseDiscovery.discover(inputs: [root], selection: all)
        XCTAssertEqual(cases.map(\.id), ["a/one", "b/two", "c"])
        XCTAssertEqual(cases.map(\.path), [root + "/a/one.tif", root + "/b/two.png",
                                           root + "/c.jpg"])
    }

    func testIncludeAndExcludeGlobs() throws {
        let root = temporaryFolder()
        try touch(root, ["z1.png", "z1_mask.png", "d/z2.png", "d/z2_mask.png", "e.tif"])
        let selection = InputSelection(include: ["**/*.png"], exclude: ["**/*_mask.png"])
        let cases = try CaseDiscovery.discover(inputs: [root], selection: selection)
        XCTAssertEqual(cases.map(\.id), ["d/z2", "z1"])
    }

    func testOutputFolderInsideTheInputIsNotSearched() throws {
        let root = temporaryFolder()
        try touch(root, ["scan.png", "out/scan_mask.png", "out/results/x.png"])
        let cases = try CaseDiscovery.discover(inputs: [root], selection: all,
                                               skipping: root + "/out")
        XCTAssertEqual(cases.map(\.id), ["scan"])
    }

    func testSeveralInputFoldersArePrefixedByTheirNames() throws {
        let root = temporaryFolder()
        try touch(root, ["site-a/s.png", "site-b/s.png"])
        let cases = try CaseDiscovery.discover(inputs: [root + "/site-a", root + "/site-b"],
                                               selection: all)
        XCTAssertEqual(cases.map(\.id), ["site-a/s", "site-b/s"])
    }

    func testFilesAsGivenFromOneFolderKeepTheirNames() throws {
        let root = temporaryFolder()
        try touch(root, ["p.png", "q.png"])
        let cases = try CaseDiscovery.discover(inputs: [root + "/q.png", root + "/p.png",
                                                        root + "/p.png"], selection: all)
        XCTAssertEqual(cases.map(\.id), ["p", "q"])
    }

    func testTwoFilesOfOneCaseAreRefusedNamingBoth() throws {
        let root = temporaryFolder()
        try touch(root, ["s.png", "s.tif"])
        XCTAssertThrowsError(try CaseDiscovery.discover(inputs: [root], selection: all)) { error in
            let error = error as? CaseDiscoveryError
            XCTAssertEqual(error?.kind, .collision)
            XCTAssertTrue(error?.message.contains("/s.png") == true, "\(String(describing: error))")
            XCTAssertTrue(error?.message.contains("/s.tif") == true)
            XCTAssertTrue(error?.message.contains("case \"s\"") == true)
        }
    }

    func testMissingInputIsReported() {
        XCTAssertThrowsError(try CaseDiscovery.discover(inputs: ["/nonexistent/x"],
                                                        selection: all)) { error in
            XCTAssertEqual((error as? CaseDiscoveryError)?.kind, .missingInput)
            XCTAssertEqual((error as? CaseDiscoveryError)?.message,
                           "/nonexistent/x: no such file or folder")
        }
    }
}
