import Foundation
import PipelineEngine
import XCTest

/// Shard selection: `--shard` parsing, Slurm and Kubernetes environments and their precedence,
/// and the stable hash split (a partition, roughly balanced, equal to an independent
/// computation).
final class ShardSelectionTests: XCTestCase {
    private func resolve(_ option: String?, count: Int? = nil,
                         _ environment: [String: String] = [:]) throws -> ShardSelection? {
        try ShardSelection.resolve(option: option, shardCount: count, environment: environment)
    }

    /// The message `resolve` throws, or a note that it threw none.
    private func message(_ option: String?, count: Int? = nil,
                         _ environment: [String: String] = [:]) -> String {
        do {
            let selection = try resolve(option, count: count, environment)
            return "no error; got \(selection.map(\.description) ?? "nil")"
        } catch let error as ShardError {
            return error.description
        } catch {
            return "unexpected error type \(type(of: error))"
        }
    }

    func testShardOptionGood() throws {
        let table: [(String, Int, Int)] = [("0/1", 0, 1), ("0/4", 0, 4), ("3/4", 3, 4),
                                           ("6/7", 6, 7), ("99/100", 99, 100)]
        for (option, index, count) in table {
            XCTAssertEqual(try resolve(option), ShardSelection(index: index, count: count),
                           option)
        }
    }

    func testShardOptionBad() {
        let table: [(String, String)] = [
            ("3/3", #"--shard "3/3": INDEX must be at least 0 and below COUNT (here 0 to 2)"#),
            ("-1/2", #"--shard "-1/2": INDEX must be at least 0 and below COUNT (here 0 to 1)"#),
            ("a/b", #"--shard "a/b": expected INDEX/COUNT, two whole numbers such as 0/4"#),
            ("1/0", #"--shard "1/0": COUNT must be at least 1"#),
            ("0/-3", #"--shard "0/-3": COUNT must be at least 1"#),
            ("2", #"--shard "2": expected INDEX/COUNT, two whole numbers such as 0/4"#),
            ("1/2/3", #"--shard "1/2/3": expected INDEX/COUNT, two whole numbers such as 0/4"#),
            ("/4", #"--shard "/4": expected INDEX/COUNT, two whole numbers such as 0/4"#),
            (" 1/4", #"--shard " 1/4": expected INDEX/COUNT, two whole numbers such as 0/4"#),
            ("1.5/4", #"--shard "1.5/4": expected INDEX/COUNT, two whole numbers such as 0/4"#),
        ]
        for (option, expected) in table {
            XCTAssertEqual(message(option), expected, option)
        }
    }

    func testShardCountOption() throws {
        XCTAssertEqual(try resolve("1/4", count: 4), ShardSelection(index: 1, count: 4))
        XCTAssertEqual(message("1/4", count: 3),
                       "--shard-count 3 disagrees with --shard 1/4; give the same count or "
                       + "leave --shard-count out")
        XCTAssertEqual(message(nil, count: 0), "--shard-count 0: must be at least 1")
        XCTAssertEqual(message(nil, count: 4),
                       "--shard-count 4 needs a shard index: pass --shard INDEX/4, or run as a "
                       + "Kubernetes Indexed Job (which sets JOB_COMPLETION_INDEX)")
    }

    func testNothingSetMeansNoSharding() throws {
        XCTAssertNil(try resolve(nil))
        // Unrelated Slurm variables (a plain job, not an array) and a lone count variable
        // do not shard.
        XCTAssertNil(try resolve(nil, ["SLURM_JOB_ID": "77", "EQUISCAN_SHARD_COUNT": "4"]))
    }

    func testSlurmArray() throws {
        let array = ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5",
                     "SLURM_ARRAY_TASK_MAX": "8", "SLURM_ARRAY_TASK_COUNT": "4"]
        XCTAssertEqual(try resolve(nil, array), ShardSelection(index: 2, count: 4))
        var withoutMax = array
        withoutMax["SLURM_ARRAY_TASK_MAX"] = nil
        XCTAssertEqual(try resolve(nil, withoutMax), ShardSelection(index: 2, count: 4))
        XCTAssertEqual(try resolve(nil, count: 4, array), ShardSelection(index: 2, count: 4))
        XCTAssertEqual(message(nil, count: 5, array),
                       "--shard-count 5 disagrees with SLURM_ARRAY_TASK_COUNT=4; give the same "
                       + "count or leave --shard-count out")
    }

    func testSlurmArrayBad() {
        let good = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0",
                    "SLURM_ARRAY_TASK_COUNT": "4"]
        func with(_ changes: [String: String?]) -> [String: String] {
            var environment = good
            for (name, value) in changes { environment[name] = value }
            return environment
        }
        let table: [([String: String?], String)] = [
            (["SLURM_ARRAY_TASK_MIN": nil],
             "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not; a Slurm job array "
             + "(sbatch --array) sets SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and "
             + "SLURM_ARRAY_TASK_COUNT"),
            (["SLURM_ARRAY_TASK_COUNT": nil],
             "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; a Slurm job array "
             + "(sbatch --array) sets SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and "
             + "SLURM_ARRAY_TASK_COUNT"),
            (["SLURM_ARRAY_TASK_ID": "x"],
             #"SLURM_ARRAY_TASK_ID="x": expected a whole number (0, 1, 2, ...)"#),
            (["SLURM_ARRAY_TASK_MIN": "-1"],
             #"SLURM_ARRAY_TASK_MIN="-1": expected a whole number (0, 1, 2, ...)"#),
            (["SLURM_ARRAY_TASK_COUNT": ""],
             #"SLURM_ARRAY_TASK_COUNT="": expected a whole number (0, 1, 2, ...)"#),
            (["SLURM_ARRAY_TASK_COUNT": "0"], "SLURM_ARRAY_TASK_COUNT=0: expected at least 1"),
            (["SLURM_ARRAY_TASK_ID": "4"],
             "SLURM_ARRAY_TASK_ID=4 and SLURM_ARRAY_TASK_MIN=0 do not give a shard from 0 to 3 "
             + "(SLURM_ARRAY_TASK_COUNT=4); run a contiguous job array such as --array=0-3"),
            (["SLURM_ARRAY_TASK_MIN": "2"],
             "SLURM_ARRAY_TASK_ID=1 and SLURM_ARRAY_TASK_MIN=2 do not give a shard from 0 to 3 "
             + "(SLURM_ARRAY_TASK_COUNT=4); run a contiguous job array such as --array=0-3"),
            // --array=0-6:2 gives MIN 0, MAX 6 and COUNT 4: shards 0, 2, 4, 6 would leave
            // cases of shards 1 and 3 unprocessed.
            (["SLURM_ARRAY_TASK_MAX": "6"],
             "SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_MAX=6 and SLURM_ARRAY_TASK_COUNT=4 "
             + "describe an array with gaps; run a contiguous job array such as --array=0-3"),
            (["SLURM_ARRAY_TASK_MAX": "two"],
             #"SLURM_ARRAY_TASK_MAX="two": expected a whole number (0, 1, 2, ...)"#),
        ]
        for (changes, expected) in table {
            XCTAssertEqual(message(nil, with(changes)), expected, "\(changes)")
        }
    }

    func testKubernetesIndexedJob() throws {
        let pod = ["JOB_COMPLETION_INDEX": "2"]
        XCTAssertEqual(try resolve(nil, count: 3, pod), ShardSelection(index: 2, count: 3))
        XCTAssertEqual(try resolve(nil, pod.merging(["EQUISCAN_SHARD_COUNT": "5"]) { $1 }),
                       ShardSelection(index: 2, count: 5))
        // --shard-count is explicit and wins over the environment's count.
        XCTAssertEqual(try resolve(nil, count: 3,
                                   pod.merging(["EQUISCAN_SHARD_COUNT": "5"]) { $1 }),
                       ShardSelection(index: 2, count: 3))
        XCTAssertEqual(message(nil, pod),
                       "JOB_COMPLETION_INDEX=2 needs a shard count: pass --shard-count N or set "
                       + "EQUISCAN_SHARD_COUNT, N being the Job's completions")
        XCTAssertEqual(message(nil, count: 2, pod),
                       "JOB_COMPLETION_INDEX=2 is not below the shard count of --shard-count 2; "
                       + "make the count equal to the Job's completions")
        XCTAssertEqual(message(nil, pod.merging(["EQUISCAN_SHARD_COUNT": "2"]) { $1 }),
                       "JOB_COMPLETION_INDEX=2 is not below the shard count of "
                       + "EQUISCAN_SHARD_COUNT=2; make the count equal to the Job's completions")
        XCTAssertEqual(message(nil, pod.merging(["EQUISCAN_SHARD_COUNT": "0"]) { $1 }),
                       #"EQUISCAN_SHARD_COUNT="0": expected a whole number of at least 1"#)
        XCTAssertEqual(message(nil, count: 3, ["JOB_COMPLETION_INDEX": "one"]),
                       #"JOB_COMPLETION_INDEX="one": expected a whole number (0, 1, 2, ...)"#)
    }

    /// --shard beats Slurm, which beats Kubernetes.
    func testPrecedence() throws {
        let everything = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0",
                          "SLURM_ARRAY_TASK_COUNT": "2", "JOB_COMPLETION_INDEX": "4",
                          "EQUISCAN_SHARD_COUNT": "6"]
        XCTAssertEqual(try resolve("2/3", everything), ShardSelection(index: 2, count: 3))
        XCTAssertEqual(try resolve(nil, everything), ShardSelection(index: 1, count: 2))
        var kubernetesOnly = everything
        kubernetesOnly["SLURM_ARRAY_TASK_ID"] = nil
        XCTAssertEqual(try resolve(nil, kubernetesOnly), ShardSelection(index: 4, count: 6))
        // A broken environment is not consulted when --shard is given.
        XCTAssertEqual(try resolve("0/2", ["SLURM_ARRAY_TASK_ID": "x"]),
                       ShardSelection(index: 0, count: 2))
    }

    /// Every id lands in exactly one of n shards, for n from 1 to 7.
    func testShardsPartitionTheCases() {
        let ids = (0..<1000).map { "batch-\($0 / 100)/scan-\($0)" }
        for count in 1...7 {
            var owners = [String: [Int]]()
            for index in 0..<count {
                let shard = ShardSelection(index: index, count: count)
                for id in ids where shard.contains(caseID: id) {
                    owners[id, default: []].append(index)
                }
            }
            XCTAssertEqual(owners.count, ids.count, "\(count) shards: some ids in no shard")
            let shared = owners.filter { $0.value.count != 1 }
            XCTAssertTrue(shared.isEmpty, "\(count) shards: ids in several shards: \(shared)")
        }
    }

    /// 1,000 ids over 4 shards: each shard holds within 30% of 250.
    func testShardsAreRoughlyBalanced() {
        let ids = (0..<1000).map { "case-\($0)" }
        for index in 0..<4 {
            let shard = ShardSelection(index: index, count: 4)
            let size = ids.filter { shard.contains(caseID: $0) }.count
            XCTAssertTrue((175...325).contains(size), "shard \(index) holds \(size) of 1000")
        }
    }

    /// Adding cases never moves existing ones: a case's shard depends on its id and the count.
    func testAddingCasesKeepsAssignments() {
        let before = (0..<200).map { "c\($0)" }
        let assignment = before.map { ShardSelection.shard(of: $0, count: 5) }
        let after = (0..<400).map { "c\($0)" }
        XCTAssertEqual(after.prefix(200).map { ShardSelection.shard(of: $0, count: 5) },
                       assignment)
    }

    /// Values computed independently with Python's hashlib, by this one-line command (the
    /// case id as its argument; it prints h, h mod Int.max and h mod 2, 3, 4, 5, 7, 10, 1000):
    /// python3 -c "import hashlib,sys;h=int(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16],16);print(h,h%(2**63-1),[h%n for n in(2,3,4,5,7,10,1000)])" ID
    func testKnownShards() {
        let counts = [2, 3, 4, 5, 7, 10, 1000]
        let first = "patients/p017/slide-03"
        let second = "gewebe/Präparat-ü"
        XCTAssertEqual(counts.map { ShardSelection.shard(of: first, count: $0) },
                       [0, 1, 2, 0, 3, 0, 270])
        // Below Int.max, so the modulo keeps the whole leading 8 bytes.
        XCTAssertEqual(ShardSelection.shard(of: first, count: Int.max),
                       3_486_986_774_773_489_270)
        XCTAssertEqual(counts.map { ShardSelection.shard(of: second, count: $0) },
                       [1, 0, 3, 0, 2, 5, 215])
        XCTAssertEqual(ShardSelection.shard(of: second, count: Int.max),
                       5_021_811_288_605_300_408)
        XCTAssertTrue(ShardSelection(index: 2, count: 4).contains(caseID: first))
        XCTAssertFalse(ShardSelection(index: 1, count: 4).contains(caseID: first))
    }

    func testDescriptionAndJSON() throws {
        let shard = ShardSelection(index: 1, count: 4)
        XCTAssertEqual(shard.description, "1/4")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(String(decoding: try encoder.encode(shard), as: UTF8.self),
                       #"{"count":4,"index":1}"#)
    }
}
