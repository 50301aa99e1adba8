import Foundation
import ImageCodecs
import Reports
import StrictJSON
import XCTest
import _TestSupport

/// `report.html` opened by a real browser: headless Chromium (Debian's `chromium`, installed
/// by `make deps`) runs the page's script, and the test counts the case-table rows it built
/// and takes a screenshot. Skipped, saying so, where Chromium is not installed.
final class ReportBrowserTests: XCTestCase {
    static let chromiumPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser",
                                "/usr/bin/google-chrome"]

    func chromium() throws -> String {
        guard let path = Self.chromiumPaths.first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw XCTSkip("headless Chromium is not installed (Debian: apt-get install "
                          + "--no-install-recommends chromium, which make deps does); the "
                          + "browser check of report.html did not run")
        }
        return path
    }

    /// Runs Chromium headless on `page` (with `#fragment` when given) with its profile, cache
    /// and crash files inside `folder`; returns what it printed.
    func headless(_ arguments: [String], page: String, fragment: String? = nil,
                  folder: String) throws -> String {
        try browse(arguments, page: page, fragment: fragment, folder: folder).output
    }

    /// `headless`, also returning the page's console: every message its scripts logged, every
    /// uncaught exception and every load the Content-Security-Policy blocked (Chromium's
    /// `CONSOLE` log lines).
    func browse(_ arguments: [String], page: String, fragment: String? = nil,
                folder: String) throws -> (output: String, console: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try chromium())
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-extensions", "--user-data-dir=" + folder + "/profile",
                             "--virtual-time-budget=10000", "--enable-logging=stderr",
                             "--v=0"] + arguments
            + [URL(fileURLWithPath: page).absoluteString + (fragment.map { "#" + $0 } ?? "")]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = folder
        environment["XDG_CONFIG_HOME"] = folder + "/config"
        environment["XDG_CACHE_HOME"] = folder + "/cache"
        process.environment = environment
        let output = folder + "/chromium-out-\(UUID().uuidString)"
        let log = output + ".log"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = logHandle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        try logHandle.close()
        XCTAssertEqual(process.terminationStatus, 0, "chromium \(arguments)")
        let console = try String(contentsOfFile: log, encoding: .utf8)
            .split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (try String(contentsOfFile: output, encoding: .utf8), console)
    }

    /// The rows the script put in the case table, and the table's thumbnails.
    func renderedRows(_ dom: String) throws -> (rows: [HTMLDocument.Element],
                                                 thumbnails: [HTMLDocument.Element],
                                                 pageInfo: String) {
        let page = try HTMLDocument(dom)
        let rows = page.elements(named: "tr").filter { $0.attributes["data-index"] != nil }
        let thumbnails = page.elements(named: "img").filter { $0.attributes["class"] == "thumb" }
        return (rows, thumbnails, page.element(id: "page-info")?.text ?? "")
    }

    func testCellBatchRendersOneRowPerCaseAndAScreenshot() throws {
        _ = try chromium()
        let folder = temporaryFolder()
        let input = try sampleCells(in: folder + "/in",
                                    extra: ["corrupt.png": ReportCommandTests.corrupt])
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", ReportCommandTests.pipeline(
            "classify-cells.json"), "-i", input, "-o", out])
        XCTAssertEqual(result.status, 2, result.stderr)
        let page = out + "/reports/report.html"
        let dom = try headless(["--dump-dom"], page: page, folder: folder)
        let rendered = try renderedRows(dom)
        XCTAssertEqual(rendered.rows.count, 13, "rows the script rendered")
        XCTAssertEqual(rendered.thumbnails.count, 12, "one thumbnail per readable scan")
        for image in rendered.thumbnails {
            XCTAssertTrue(image.attributes["src"]?.hasPrefix("data:image/png;base64,") ?? false)
        }
        XCTAssertTrue(rendered.pageInfo.contains("13 of 13 cases"), rendered.pageInfo)

        let shot = folder + "/report.png"
        _ = try headless(["--screenshot=" + shot, "--window-size=1200,1500",
                          "--hide-scrollbars"], page: page, folder: folder)
        let screenshot = try ImageDecoder.decode(path: shot)
        XCTAssertEqual([screenshot.width, screenshot.height], [1200, 1500])
        // A rendered page, not a blank one: many distinct colours (text, thumbnails, charts).
        guard case .uint8(let samples) = screenshot.samples else { return XCTFail("8-bit") }
        let channels = screenshot.channels
        var colours: Set<Int> = []
        for i in stride(from: 0, to: samples.count, by: channels) {
            let red = Int(samples[i]) << 16
            let green = Int(samples[i + 1]) << 8
            colours.insert(red | green | Int(samples[i + 2]))
        }
        XCTAssertGreaterThan(colours.count, 100)
    }

    /// `report.html#case=ID` opens the case view: the scan and the overlay of a segmented
    /// case; the scan and the same picture in its canonical pose for a canonicalized one.
    func testCaseViewShowsTheScanOverlayAndCanonicalPose() throws {
        _ = try chromium()
        let folder = temporaryFolder()
        let root = CLIRunner.packageRoot.path
        let em = folder + "/em"
        XCTAssertEqual(try CLIRunner.run(["run", "-p", root + "/pipelines/segment-em.json", "-i",
                                          root + "/samples/em", "-o", em]).status, 0)
        let segmented = try HTMLDocument(try headless(
            ["--dump-dom"], page: em + "/reports/report.html", fragment: "case=04",
            folder: folder))
        XCTAssertEqual(segmented.element(id: "case-title")?.text, "04")
        let emPictures = pictures(segmented)
        XCTAssertEqual(emPictures.map(\.caption), ["Scan", "Segmentation overlay"])
        XCTAssertTrue(emPictures.allSatisfy { $0.source.hasPrefix("data:image/png;base64,") })
        XCTAssertEqual(emPictures.first?.source, emPictures.last?.source,
                       "the overlay lays the mask over the same scan picture")
        let layers = segmented.elements(named: "img").filter { $0.attributes["class"] == "layer" }
        XCTAssertEqual(layers.count, 1)
        XCTAssertTrue(layers.first?.attributes["src"]?.hasPrefix("data:image/png;base64,")
                      ?? false)

        let upright = folder + "/upright"
        XCTAssertEqual(try CLIRunner.run(["run", "-p", root
                                          + "/pipelines/orientation-correction.json",
                                          "-i", CLIRunner.sample("mr_small_64.png"),
                                          "-o", upright]).status, 0)
        let pose = try XCTUnwrap(try caseRecords(upright)["mr_small_64"]?.pose)
        let canonical = try HTMLDocument(try headless(
            ["--dump-dom"], page: upright + "/reports/report.html",
            fragment: "case=mr_small_64", folder: folder))
        let shown = pictures(canonical)
        XCTAssertEqual(shown.count, 2)
        XCTAssertEqual(shown.first?.caption, "Scan")
        // An uncertain pose turned nothing, and the page says so instead of turning it.
        let caption = pose.uncertain ? "Not turned: pose \(pose.name) uncertain"
                                     : "Canonical (pose \(pose.name),"
        XCTAssertTrue(shown.last?.caption.hasPrefix(caption) ?? false, shown.last?.caption ?? "")
        XCTAssertEqual(shown.last?.className, pose.uncertain ? "" : "pose-" + pose.name)
        XCTAssertEqual(shown.first?.source, shown.last?.source, "one picture, turned by CSS")
    }

    /// The pictures of the case view: caption, `src` and class of each figure's image.
    func pictures(_ page: HTMLDocument) -> [(caption: String, source: String, className: String)] {
        let images = page.elements(named: "img").filter {
            $0.attributes["class"] != "thumb" && $0.attributes["class"] != "layer"
        }
        let captions = page.elements(named: "figcaption").map(\.text)
        return zip(captions, images).map {
            ($0, $1.attributes["src"] ?? "", $1.attributes["class"] ?? "")
        }
    }

    /// The hostile inbox of `HostileInputTests`: the page shows every case, crafted names as
    /// text, and its console stays silent — no script error, no load the policy had to block,
    /// no `alert` run by a name.
    func testHostileNamesRenderWithASilentConsole() throws {
        _ = try chromium()
        let folder = temporaryFolder()
        let inbox = try HostileInputTests.makeHostileInbox(in: folder)
        let out = folder + "/out"
        let result = try CLIRunner.run(["run", "-p", ReportCommandTests.pipeline(
            "classify-cells.json"), "-i", inbox, "-o", out])
        XCTAssertEqual(result.status, 2, result.stderr)
        let cases = ((FileManager.default.enumerator(atPath: out + "/results")?.allObjects
                      as? [String]) ?? []).filter { $0.hasSuffix(".json") }
        XCTAssertEqual(cases.count, 10)
        let page = out + "/reports/report.html"
        let (dom, console) = try browse(["--dump-dom"], page: page, folder: folder)
        XCTAssertEqual(console, [], "console of the report")
        let rendered = try renderedRows(dom)
        XCTAssertEqual(rendered.rows.count, cases.count, "rows the script rendered")
        let text = rendered.rows.map(\.text).joined(separator: "\n")
        for name in HostileInputTests.craftedNames where !name.contains("\n") {
            XCTAssertTrue(text.contains(name), "\(name) shown as text")
        }
        try assertNoInjectedMarkup(dom)
        // The case view of the crafted name: its title is the name, as text.
        let crafted = HostileInputTests.craftedNames[0]
        let fragment = "case=" + (crafted.addingPercentEncoding(
            withAllowedCharacters: .alphanumerics) ?? "")
        let (view, viewConsole) = try browse(["--dump-dom"], page: page, fragment: fragment,
                                             folder: folder)
        XCTAssertEqual(viewConsole, [], "console of the case view")
        XCTAssertEqual(try HTMLDocument(view).element(id: "case-title")?.text, crafted)
        try assertNoInjectedMarkup(view)
    }

    /// The page as the browser built it has no event-handler attribute and no picture that is
    /// not inline: no crafted name became an element.
    func assertNoInjectedMarkup(_ dom: String, file: StaticString = #filePath,
                                line: UInt = #line) throws {
        let page = try HTMLDocument(dom)
        for element in page.elements {
            for name in element.attributes.keys where name.lowercased().hasPrefix("on") {
                XCTFail("<\(element.name) \(name)>", file: file, line: line)
            }
        }
        for image in page.elements(named: "img") {
            let source = image.attributes["src"] ?? ""
            XCTAssertTrue(source.isEmpty || source.hasPrefix("data:image/"), source,
                          file: file, line: line)
        }
    }

    /// 10,000 cases: the page builds one page of rows (50) and their thumbnails only.
    func testTenThousandCasesRenderOnePage() throws {
        _ = try chromium()
        let folder = temporaryFolder()
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: out + "/results",
                                                withIntermediateDirectories: true)
        let scan = Scan(width: 8, height: 8, channels: 1,
                        samples: .uint8((0..<64).map { UInt8($0 * 4) }),
                        metadata: ScanMetadata(format: .png, colorModel: .minIsBlack,
                                               bitsPerSample: 8))
        let png = try ImageEncoder.encodePNG(scan)
        let input = folder + "/tiny.png"
        try Data(png).write(to: URL(fileURLWithPath: input))
        let manifest = RunManifest(
            tool: .init(name: "equiscan", version: "test"),
            pipeline: .init(file: "p.json", name: "many", sha256: "00",
                            resolved: .object([("stages", .array([.object([
                                ("op", .string("LoadImage"))])]))])),
            models: [.init(stage: "1 Classify", name: "m", version: "1", folder: "m",
                           sha256: "11", outputs: ["A", "B"])],
            inputs: [folder], host: "h", startedAt: "2024-01-01T00:00:00Z",
            endedAt: "2024-01-01T01:00:00Z")
        let encoder = JSONEncoder()
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: out + "/run.json"))
        let digest = ContentHash.hex(png)
        for index in 0..<10_000 {
            var record = CaseRecord(case: String(format: "case%05d", index), input: input,
                                    inputSHA256: digest)
            let p = Double(index % 100) / 100
            record.classification = .init(label: p < 0.5 ? "B" : "A",
                                          probabilities: ["A": p, "B": 1 - p])
            record.stageSeconds = ["0 LoadImage": 0.001, "1 Classify": 0.002]
            try encoder.encode(record).write(to: URL(fileURLWithPath: out + "/results/"
                                                     + record.case + ".json"))
        }
        let result = try CLIRunner.run(["report", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let page = out + "/reports/report.html"
        XCTAssertEqual(try HTMLDocument(String(contentsOfFile: page, encoding: .utf8))
                        .elements.filter { $0.attributes["id"]?.hasPrefix("scan-") ?? false }
                        .count, 10_000)
        let rendered = try renderedRows(try headless(["--dump-dom"], page: page,
                                                     folder: folder))
        XCTAssertEqual(rendered.rows.count, 50)
        XCTAssertEqual(rendered.thumbnails.count, 50)
        XCTAssertTrue(rendered.pageInfo.contains("Page 1 of 200"), rendered.pageInfo)
        XCTAssertTrue(rendered.pageInfo.contains("10000 of 10000 cases"), rendered.pageInfo)
    }
}
