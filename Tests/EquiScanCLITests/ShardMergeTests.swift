import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// `equiscan run --shard i/3` for i = 0, 1, 2 over the sample blood cells, then
/// `equiscan merge`: the shards split the batch with every case exactly once, each in the
/// shard its id hashes to, and the merged folder holds what a single run writes.
final class ShardMergeTests: XCTestCase {
    static var root: String { CLIRunner.packageRoot.path }

    /// The shard of each sample cell's case id among 3, computed independently with Python's
    /// hashlib (first 8 bytes of the SHA-256 of the id, big-endian, modulo 3):
    /// python3 -c "import hashlib,sys;print(int(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16],16)%3)" ID
    static let expectedShards: [[String]] = [
        ["Platelets/BloodImage_00089_11", "RBC/BloodImage_00115_04", "WBC/BloodImage_00310_14"],
        ["Platelets/BloodImage_00312_08", "RBC/BloodImage_00000_03", "RBC/BloodImage_00030_15"],
        ["Platelets/BloodImage_00014_14", "Platelets/BloodImage_00221_11",
         "RBC/BloodImage_00072_01", "WBC/BloodImage_00000_00", "WBC/BloodImage_00115_10",
         "WBC/BloodImage_00221_10"],
    ]

    /// Case id → record (as parsed JSON, timings removed) for every record under `out/results`.
    func records(_ out: String) throws -> [String: NSDictionary] {
        let results = out + "/results"
        let files = (FileManager.default.enumerator(atPath: results)?.allObjects as? [String]
                     ?? []).filter { $0.hasSuffix(".json") }
        var found: [String: NSDictionary] = [:]
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: results + "/" + file))
            var record = try XCTUnwrap(JSONSerialization.jsonObject(with: data)
                                       as? [String: Any], file)
            XCTAssertNotNil(record.removeValue(forKey: "stageSeconds"), file)
            if var orbit = record["orbit"] as? [String: Any] {
                orbit.removeValue(forKey: "seconds")
                record["orbit"] = orbit
            }
            found[String(file.dropLast(".json".count))] = record as NSDictionary
        }
        return found
    }

    /// `out/reports/predictions.csv` without its `seconds` column.
    func predictionsWithoutSeconds(_ out: String) throws -> [[String]] {
        let rows = CSVReader.rows(try String(contentsOfFile: out + "/reports/predictions.csv",
                                             encoding: .utf8))
        let column = try XCTUnwrap(rows.first?.firstIndex(of: "seconds"))
        return rows.map { row in row.enumerated().filter { $0.offset != column }.map(\.element) }
    }

    func manifest(_ out: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testShardsSplitTheBatchOnceAndTheirMergeEqualsASingleRun() throws {
        let folder = temporaryFolder()
        let input = folder + "/cells"
        try FileManager.default.copyItem(atPath: Self.root + "/samples/cells", toPath: input)
        let allCases = ((FileManager.default.enumerator(atPath: input)?.allObjects as? [String])
                        ?? []).filter { $0.hasSuffix(".png") }.map { String($0.dropLast(4)) }
        XCTAssertEqual(allCases.count, 12)
        let pipeline = Self.root + "/pipelines/classify-cells.json"
        func run(_ out: String, _ extra: [String]) throws {
            let result = try CLIRunner.run(["run", "-p", pipeline, "-i", input, "-o", out,
                                            "--jobs", "1"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let shards = (0..<3).map { folder + "/shard-\($0)" }
        for (index, shard) in shards.enumerated() {
            try run(shard, ["--shard", "\(index)/3"])
        }
        try run(folder + "/single", [])

        var seen: [String: Int] = [:]
        for (index, shard) in shards.enumerated() {
            let ids = try records(shard).keys.sorted()
            XCTAssertEqual(ids, Self.expectedShards[index], "shard \(index)")
            for id in ids { seen[id, default: 0] += 1 }
            let written = try manifest(shard)
            XCTAssertEqual(written["shard"] as? [String: Int], ["index": index, "count": 3])
            XCTAssertEqual((written["counts"] as? [String: Int])?["cases"], ids.count)
        }
        XCTAssertEqual(Set(seen.keys), Set(allCases), "the shards' union is not the batch")
        XCTAssertEqual(seen.filter { $0.value != 1 }, [:], "cases in more than one shard")

        let merged = folder + "/merged"
        let merge = try CLIRunner.run(["merge"] + shards + ["-o", merged])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertEqual(merge.stdout, "merged 3 shards into \(merged): 12 cases, 12 ok, 0 failed\n")

        let single = try records(folder + "/single")
        let mergedRecords = try records(merged)
        XCTAssertEqual(Set(single.keys), Set(allCases))
        XCTAssertEqual(Set(mergedRecords.keys), Set(single.keys))
        for (id, record) in single {
            // Same input, status, label and probabilities (parsed from the same shortest
            // round-trip text, so equal as Doubles means equal bits).
            XCTAssertEqual(mergedRecords[id], record, id)
        }
        let mergedRun = try manifest(merged)
        XCTAssertEqual(mergedRun["counts"] as? [String: Int],
                       ["cases": 12, "ok": 12, "failed": 0, "skipped": 0])
        XCTAssertTrue(mergedRun["shard"] is NSNull)
        // The merged reports say what the single run's say, timings aside.
        XCTAssertEqual(try predictionsWithoutSeconds(merged),
                       try predictionsWithoutSeconds(folder + "/single"))
        // One ledger with every case, so a rerun into the merged folder skips them all.
        XCTAssertEqual(Set(try RunLedger.open(outputFolder: merged).entries().map(\.key.caseID)),
                       Set(allCases))
        try run(merged, [])
        XCTAssertEqual(try manifest(merged)["counts"] as? [String: Int],
                       ["cases": 12, "ok": 0, "failed": 0, "skipped": 12])
    }
}
