#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ImageCodecs
import XCTest
import _TestSupport

/// A shared inbox is hostile: symlinks out of it, FIFOs, loops, crafted names and runaway
/// cases must neither make `run` read outside its input folder, hang, nor break its outputs.
final class HostileInputTests: XCTestCase {
    static var root: String { CLIRunner.packageRoot.path }
    static let cell = "/samples/cells/RBC/BloodImage_00000_03.png"

    /// The names of the crafted scans `makeHostileInbox` drops (without `.png`).
    static let craftedNames = ["\"><img src=x onerror=alert(1)>", "=HYPERLINK(\"x\")",
                               "new\nline", "rtl\u{202E}gnp"]

    /// A hostile inbox in `folder`/inbox: a symlink to a scan outside it (`passwd.png`), a FIFO
    /// (`pipe.png`), a symlink loop (`loop-a.png` ⇄ `loop-b.png`), a real scan in `sub/` and a
    /// symlink to it inside the inbox (`alias.png`), and real scans under `craftedNames`.
    static func makeHostileInbox(in folder: String) throws -> String {
        let inbox = folder + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox + "/sub",
                                                withIntermediateDirectories: true)
        // Outside the inbox: a real scan that must never be read through the symlink.
        let secret = folder + "/secret.png"
        try FileManager.default.copyItem(atPath: root + cell, toPath: secret)
        XCTAssertEqual(symlink(secret, inbox + "/passwd.png"), 0)
        XCTAssertEqual(mkfifo(inbox + "/pipe.png", 0o644), 0)
        XCTAssertEqual(symlink(inbox + "/loop-b.png", inbox + "/loop-a.png"), 0)
        XCTAssertEqual(symlink(inbox + "/loop-a.png", inbox + "/loop-b.png"), 0)
        try FileManager.default.copyItem(atPath: root + cell, toPath: inbox + "/sub/real.png")
        XCTAssertEqual(symlink(inbox + "/sub/real.png", inbox + "/alias.png"), 0)
        for name in craftedNames {
            try FileManager.default.copyItem(atPath: root + cell,
                                             toPath: inbox + "/" + name + ".png")
        }
        return inbox
    }

    func testHostileInboxFinishesWithEachCaseRecordedSafely() throws {
        let folder = temporaryFolder()
        let inbox = try Self.makeHostileInbox(in: folder)
        let crafted = Self.craftedNames
        let out = folder + "/out"
        let started = Date()
        let result = try CLIRunner.run(["run", "-p", Self.root + "/pipelines/classify-cells.json",
                                        "-i", inbox, "-o", out, "--jobs", "2"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertEqual(result.status, 2, result.stderr)

        func record(_ id: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results/\(id).json"))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        func failure(_ id: String) throws -> String {
            let record = try record(id)
            XCTAssertEqual(record["status"] as? String, "failed", id)
            let error = try XCTUnwrap(record["error"] as? [String: String], id)
            XCTAssertEqual(error["stage"], "input", id)
            // Nothing of a file that was not read: no digest, no outputs.
            XCTAssertEqual(record["inputSHA256"] as? String, "", id)
            XCTAssertEqual(record["outputs"] as? [String], [], id)
            return error["message"] ?? ""
        }
        XCTAssertEqual(try failure("passwd"), inbox + "/passwd.png: symlink to outside the "
                       + "input folder; not followed")
        XCTAssertEqual(try failure("pipe"), inbox + "/pipe.png: is a FIFO (named pipe), not a "
                       + "regular file; skipped without opening it")
        XCTAssertEqual(try failure("loop-a"), inbox + "/loop-a.png: is a symlink loop; not "
                       + "followed")
        XCTAssertEqual(try record("alias")["status"] as? String, "ok")
        XCTAssertEqual(try record("sub/real")["status"] as? String, "ok")
        for name in crafted {
            let record = try record(name)
            XCTAssertEqual(record["status"] as? String, "ok", name)
            XCTAssertEqual(record["case"] as? String, name)
        }
        // The spreadsheet never sees a formula; the newline stays inside a quoted cell.
        let csv = try String(contentsOfFile: out + "/reports/predictions.csv", encoding: .utf8)
        XCTAssertTrue(csv.contains("\r\n\"'=HYPERLINK(\"\"x\"\")\","), csv)
        XCTAssertTrue(csv.contains("\r\n\"new\nline\","), csv)
        // One line per event on the terminal: control characters and bidi marks escaped.
        XCTAssertTrue(result.stdout.contains("new\\nline: ok"), result.stdout)
        XCTAssertTrue(result.stdout.contains("rtl\\u{202E}gnp: ok"), result.stdout)
        XCTAssertFalse(result.stdout.contains("\u{202E}"))
        for line in result.stdout.split(separator: "\n") {
            XCTAssertTrue(line.contains(": ok") || line.contains(" cases: "), String(line))
        }
        try Self.checkOutputsAreInert(out, okCases: crafted.count + 2)
    }

    /// The same inbox under `watch --once`: it ends, each hostile file is set aside with its
    /// reason and nothing of a symlink's target is read, copied or moved.
    func testWatchOnAHostileInboxSetsTheHostileFilesAsideAndEnds() throws {
        let folder = temporaryFolder()
        let inbox = try Self.makeHostileInbox(in: folder)
        let secret = try Data(contentsOf: URL(fileURLWithPath: folder + "/secret.png"))
        let out = folder + "/out"
        let started = Date()
        let result = try CLIRunner.run(["watch", "-p", Self.root + "/pipelines/classify-cells.json",
                                        "-i", inbox, "-o", out, "--once", "--retries", "0",
                                        "--settle", "0", "--jobs", "2"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertEqual(result.status, 2, result.stderr)
        for (id, reason) in [("passwd", "symlink to outside the input folder; not followed"),
                             ("pipe", "is a FIFO (named pipe), not a regular file; skipped "
                              + "without opening it")] {
            let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(
                fileURLWithPath: out + "/quarantine/\(id).png.error.json"))) as? [String: Any])
            XCTAssertEqual(sidecar["reason"] as? String, inbox + "/\(id).png: " + reason)
        }
        // The symlink itself was set aside, pointing where it pointed; its target untouched.
        var info = stat()
        XCTAssertEqual(lstat(out + "/quarantine/passwd.png", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/secret.png")), secret)
        for name in Self.craftedNames + ["sub/real"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results/\(name).json"))
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertEqual(record["status"] as? String, "ok", name)
        }
        try Self.checkOutputsAreInert(out, okCases: Self.craftedNames.count + 2)
    }

    /// Every record and summary parses as JSON; no CSV cell starts a formula; report.html has
    /// its Content-Security-Policy, no event-handler attribute, no picture that is not inline,
    /// only its own script, and pictures of the `okCases` scans that were read, none of the
    /// others.
    static func checkOutputsAreInert(_ out: String, okCases: Int) throws {
        let files = (FileManager.default.enumerator(atPath: out + "/results")?.allObjects
                     as? [String]) ?? []
        let records = files.filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThan(records.count, okCases)
        for file in records + ["../reports/summary.json"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results/" + file))
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: data), file)
        }
        for table in ["predictions.csv", "failures.csv"] {
            let text = try String(contentsOfFile: out + "/reports/" + table, encoding: .utf8)
            for cell in CSVReader.rows(text).joined() {
                guard let first = cell.unicodeScalars.first else { continue }
                XCTAssertFalse("=+@\t\r".unicodeScalars.contains(first), "\(table): \(cell)")
                if first == "-" { XCTAssertNotNil(Double(cell), "\(table): \(cell)") }
            }
        }
        let html = try String(contentsOfFile: out + "/reports/report.html", encoding: .utf8)
        XCTAssertFalse(html.contains("<img src=x"), "a crafted name became markup")
        let page = try HTMLDocument(html)
        let policy = page.elements(named: "meta")
            .first { $0.attributes["http-equiv"] == "Content-Security-Policy" }
        XCTAssertEqual(policy?.attributes["content"], "default-src 'none'; img-src data:; "
                       + "style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                       + "base-uri 'none'; form-action 'none'")
        for element in page.elements {
            for name in element.attributes.keys {
                XCTAssertFalse(name.lowercased().hasPrefix("on"), "<\(element.name) \(name)>")
            }
        }
        for image in page.elements(named: "img") {
            XCTAssertTrue(image.attributes["src"].map { $0.hasPrefix("data:image/") } ?? true,
                          "\(image.attributes)")
        }
        let scripts = page.elements(named: "script")
        XCTAssertEqual(scripts.filter { $0.attributes["type"] == nil }.count, 1,
                       "the page's own script only")
        for script in scripts {
            let type = script.attributes["type"]
            XCTAssertTrue(type == nil || type == "application/json" || type == "text/plain",
                          type ?? "")
        }
        let pictures = page.elements.filter { $0.attributes["id"]?.hasPrefix("scan-") ?? false }
        XCTAssertEqual(pictures.count, okCases, "pictures only of the scans that were read")
    }

    func testRunawayCaseTimesOutAndTheBatchGoesOn() throws {
        let folder = temporaryFolder()
        let inbox = folder + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        // A 2048×2048 slice (the EM sample tiled 4×4): hundreds of sliding windows.
        let tile = try ImageDecoder.decode(path: Self.root + "/samples/em/00.png")
        guard case .uint8(let samples) = tile.samples else { return XCTFail("8-bit sample") }
        let size = tile.width * 4
        var big = [UInt8](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                big[y * size + x] = samples[(y % tile.height) * tile.width + x % tile.width]
            }
        }
        try ImageEncoder.write(Scan(width: size, height: size, channels: 1, samples: .uint8(big),
                                    metadata: tile.metadata), to: inbox + "/huge.png", format: .png)
        // And a case of one window, well inside the limit.
        let crop = (0..<128).flatMap { y in samples[(y * tile.width)..<(y * tile.width + 128)] }
        try ImageEncoder.write(Scan(width: 128, height: 128, channels: 1, samples: .uint8(crop),
                                    metadata: tile.metadata),
                               to: inbox + "/small.png", format: .png)
        let pipeline = folder + "/slow.json"
        try """
            {"version": 1, "name": "slow", "limits": {"caseTimeoutSeconds": 60},
             "stages": [{"op": "LoadImage", "colour": "gray"},
                        {"op": "Segment", "model": "\(Self.root)/samples/models/em-membranes",
                         "overlap": 0.5},
                        {"op": "AsDiscrete", "argmax": true}]}
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let out = folder + "/out"
        let started = Date()
        // --case-timeout overrides the pipeline's 60 s; one 256 × 256 window of the D4
        // membrane model takes well under 3 s, the huge slice's hundreds of windows far more.
        let result = try CLIRunner.run(["run", "-p", pipeline, "-i", inbox, "-o", out,
                                        "--jobs", "1", "--case-timeout", "3"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertEqual(result.status, 2, result.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results/huge.json"))
        let huge = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let error = try XCTUnwrap(huge["error"] as? [String: String])
        XCTAssertEqual(error["stage"], "1 Segment")
        XCTAssertEqual(error["message"], inbox + "/huge.png: timed out: the case took longer "
                       + "than its limit of 3 s and was stopped")
        let small = try Data(contentsOf: URL(fileURLWithPath: out + "/results/small.json"))
        XCTAssertTrue(String(decoding: small, as: UTF8.self).contains("\"status\" : \"ok\""))
    }

    func testWrittenFilesFollowTheUmask() throws {
        let folder = temporaryFolder()
        let inbox = folder + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.root + "/samples/em/00.png",
                                         toPath: inbox + "/00.png")
        let out = folder + "/out"
        let binary = CLIRunner.productsDirectory.appendingPathComponent("equiscan").path
        let result = try CLIRunner.runShell(
            "umask 077 && '\(binary)' run -p '\(Self.root)/pipelines/segment-em.json' "
            + "-i '\(inbox)' -o '\(out)'")
        XCTAssertEqual(result.status, 0, result.stderr)
        let files = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String]) ?? []
        var checked = 0
        for file in files {
            var info = stat()
            XCTAssertEqual(lstat(out + "/" + file, &info), 0)
            guard info.st_mode & S_IFMT == S_IFREG else { continue }
            XCTAssertEqual(info.st_mode & 0o077, 0, "\(file) is readable by others")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 5)  // record, run.json, mask, TIFF, overlay
    }

    /// A careless sender leaves scans readable and writable by everyone. Whatever the umask,
    /// nothing `watch` creates or keeps is world-writable, and the quarantined scan, the moved
    /// one, the error sidecar and the ledger are no more readable than the outputs.
    func testQuarantineAndLedgerAreNoMoreReadableThanTheOutputs() throws {
        let binary = CLIRunner.productsDirectory.appendingPathComponent("equiscan").path
        var corrupt = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        corrupt.append(Data(repeating: 0x41, count: 64))
        for (mask, forbidden) in [("027", mode_t(0o027)), ("000", mode_t(0o002))] {
            let folder = temporaryFolder()
            let inbox = folder + "/inbox"
            try FileManager.default.createDirectory(atPath: inbox,
                                                    withIntermediateDirectories: true)
            XCTAssertTrue(FileManager.default.createFile(atPath: inbox + "/bad.png",
                                                         contents: corrupt))
            try FileManager.default.copyItem(atPath: WatchCommandTests.cells[0],
                                             toPath: inbox + "/good.png")
            for name in ["bad.png", "good.png"] {
                XCTAssertEqual(chmod(inbox + "/" + name, 0o666), 0)
            }
            let out = folder + "/out"
            let result = try CLIRunner.runShell(
                "umask \(mask) && '\(binary)' watch -p '\(WatchCommandTests.pipeline)' "
                + "-i '\(inbox)' -o '\(out)' --once --retries 0 --after move --settle 0")
            XCTAssertEqual(result.status, 2, result.stderr)
            let kept = ["quarantine/bad.png", "quarantine/bad.png.error.json",
                        "processed/good.png", ".equiscan/ledger.sqlite", "results/good.json"]
            for path in kept {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + path), path)
            }
            let entries = (FileManager.default.enumerator(atPath: out)?.allObjects
                           as? [String]) ?? []
            XCTAssertGreaterThanOrEqual(entries.count, kept.count)
            for entry in entries + ["."] {
                var info = stat()
                XCTAssertEqual(lstat(out + "/" + entry, &info), 0, entry)
                XCTAssertEqual(info.st_mode & forbidden, 0,
                               "umask \(mask): \(entry) has mode "
                               + String(info.st_mode & 0o777, radix: 8))
            }
        }
    }
}
