import Foundation
import ImageCodecs
import Synchronization
import XCTest
import _TestSupport

/// Decodes every entry of `Fixtures/conformance/expected.json` (PngSuite, Pillow, libjxl,
/// libtiff and scikit-image corpora) and compares the result with the reference decode.
final class DecodeConformanceTests: XCTestCase {
    struct Expected: Decodable {
        var policy: String
        var files: [Entry]
    }

    struct Entry: Decodable {
        var file: String
        var page: Int?
        var expect: String
        var width: Int?
        var height: Int?
        var channels: Int?
        var sampleType: String?
        var pages: Int?
        var samplesSHA256: String?
        var orientation: Int?
    }

    static func loadEntries() throws -> [Entry] {
        let data = try Data(contentsOf: Fixtures.url("conformance/expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data).files
    }

    func testEveryConformanceEntry() throws {
        let all = try Self.loadEntries()
        XCTAssertEqual(all.count, 268, "expected.json should list 268 entries")
        let entries = all
        var passed = 0
        var failures: [String] = []
        var counts: [String: Int] = [:]
        for entry in entries {
            counts[entry.expect, default: 0] += 1
            let label = entry.file + (entry.page.map { " page \($0)" } ?? "")
            let path = Fixtures.path("conformance/" + entry.file)
            let options = DecodeOptions(page: entry.page ?? 0)
            switch entry.expect {
            case "ok":
                do {
                    let scan = try ImageDecoder.decode(path: path, options: options)
                    let problems = Self.compare(scan, entry)
                    if problems.isEmpty {
                        passed += 1
                    } else {
                        failures.append("\(label): " + problems.joined(separator: "; "))
                    }
                } catch {
                    failures.append("\(label): expected ok, got \(error)")
                }
            case "error":
                do {
                    let scan = try ImageDecoder.decode(path: path, options: options)
                    failures.append("\(label): expected an error, decoded "
                                    + "\(scan.width)x\(scan.height)x\(scan.channels)")
                } catch is CodecError {
                    passed += 1
                } catch {
                    failures.append("\(label): expected CodecError, got \(type(of: error))")
                }
            default:
                // "skip": either outcome is acceptable; it only must not crash.
                _ = try? ImageDecoder.decode(path: path, options: options)
                passed += 1
            }
        }
        print("conformance: \(passed)/\(entries.count) entries pass "
              + "(ok \(counts["ok"] ?? 0), error \(counts["error"] ?? 0), "
              + "skip \(counts["skip"] ?? 0))")
        for failure in failures {
            print("conformance FAIL " + failure)
        }
        XCTAssertEqual(passed, entries.count,
                       "\(failures.count) conformance failures:\n"
                       + failures.prefix(20).joined(separator: "\n"))
    }

    /// Decoders keep all state per call (libtiff handlers included), so pipelines may decode
    /// on several threads: concurrent decodes must give the serial hashes.
    func testConcurrentDecodesMatchSerialHashes() throws {
        let entries = try Self.loadEntries().filter { $0.expect == "ok" && $0.page == nil }
        let picked = stride(from: 0, to: entries.count, by: 6).map { entries[$0] }
        XCTAssertGreaterThan(picked.count, 30)
        let results = Mutex([String?](repeating: nil, count: picked.count))
        DispatchQueue.concurrentPerform(iterations: picked.count) { i in
            let path = Fixtures.path("conformance/" + picked[i].file)
            let hash = (try? ImageDecoder.decode(path: path)).map { ContentHash.hex($0.samples) }
            results.withLock { $0[i] = hash }
        }
        let hashes = results.withLock { $0 }
        for (i, entry) in picked.enumerated() {
            XCTAssertEqual(hashes[i], entry.samplesSHA256, entry.file)
        }
    }

    static func compare(_ scan: Scan, _ entry: Entry) -> [String] {
        var problems: [String] = []
        func check<T: Equatable>(_ name: String, _ got: T, _ want: T?) {
            if let want, got != want {
                problems.append("\(name) \(got) != expected \(want)")
            }
        }
        check("width", scan.width, entry.width)
        check("height", scan.height, entry.height)
        check("channels", scan.channels, entry.channels)
        check("sampleType", scan.samples.sampleType.rawValue, entry.sampleType)
        check("pages", scan.metadata.pageCount, entry.pages)
        check("orientation", scan.metadata.orientation ?? 1, entry.orientation)
        check("samplesSHA256", ContentHash.hex(scan.samples), entry.samplesSHA256)
        return problems
    }
}
