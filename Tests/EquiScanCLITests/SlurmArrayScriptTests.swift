import Foundation
import XCTest
import _TestSupport

/// deploy/slurm/equiscan-array.sbatch run by bash the way Slurm runs an array task: with the
/// SLURM_* variables Slurm sets and a stand-in `equiscan` first on the PATH that records its
/// arguments. Checks the shard folder, `--jobs` from `--cpus-per-task`, the log beside the
/// shard folder, the exit status passed through, and the refusals. (The real scheduler is
/// exercised by `make slurm-check`, which needs root.)
final class SlurmArrayScriptTests: XCTestCase {
    static var script: String {
        CLIRunner.packageRoot.appendingPathComponent("deploy/slurm/equiscan-array.sbatch").path
    }

    /// What one run of the script did.
    struct TaskRun {
        var result: CLIResult
        /// The stand-in's arguments, one per element; nil when it never ran.
        var arguments: [String]?
        /// SLURM_ARRAY_TASK_ID as the stand-in saw it.
        var taskID: String?
    }

    /// Runs the script with `arguments` and exactly `variables` (plus a PATH that starts with
    /// the stand-in's folder). The stand-in prints one line to stdout and one to stderr, and
    /// exits with `status`.
    func runTask(_ variables: [String: String], arguments: [String] = [],
                 in folder: String, status: Int32 = 0) throws -> TaskRun {
        let bin = folder + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let record = folder + "/arguments", task = folder + "/task"
        try? FileManager.default.removeItem(atPath: record)
        let standIn = """
            #!/bin/sh
            printf '%s\\n' "$@" > '\(record)'
            printf '%s' "$SLURM_ARRAY_TASK_ID" > '\(task)'
            echo "stand-in stdout"
            echo "stand-in stderr" >&2
            exit \(status)

            """
        try standIn.write(toFile: bin + "/equiscan", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755],
                                              ofItemAtPath: bin + "/equiscan")
        var environment = variables
        environment["PATH"] = bin + ":/usr/bin:/bin"
        let result = try CLIRunner.run(executable: URL(fileURLWithPath: "/bin/bash"),
                                       [Self.script] + arguments, environment: environment)
        let recorded = try? String(contentsOfFile: record, encoding: .utf8)
        return TaskRun(result: result,
                       arguments: recorded.map { $0.split(separator: "\n").map(String.init) },
                       taskID: try? String(contentsOfFile: task, encoding: .utf8))
    }

    /// Task 6 of an array submitted as --array=4-6 (so shard 2 of 3) with --cpus-per-task=3.
    func arrayTask(output: String) -> [String: String] {
        ["SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_MAX": "6",
         "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_CPUS_PER_TASK": "3",
         "EQUISCAN_PIPELINE": "/srv/pipelines/classify.json",
         "EQUISCAN_INPUT": "/srv/scans", "EQUISCAN_OUTPUT": output]
    }

    func testVariablesGiveTheShardFolderJobsAndLogBesideIt() throws {
        let folder = temporaryFolder()
        let out = folder + "/out"
        let run = try runTask(arrayTask(output: out), in: folder, status: 2)
        XCTAssertEqual(run.arguments, ["run", "-p", "/srv/pipelines/classify.json",
                                       "-i", "/srv/scans", "-o", out + "/shard-2",
                                       "--jobs", "3", "--log-format", "json"])
        // EquiScan itself reads the array variables: they must reach it unchanged.
        XCTAssertEqual(run.taskID, "6")
        XCTAssertEqual(run.result.status, 2, "the task's exit status is EquiScan's")
        // Slurm's --output gets one line naming the shard; EquiScan's output goes to the log.
        XCTAssertEqual(run.result.stdout,
                       "shard \(out)/shard-2 of /srv/pipelines/classify.json over /srv/scans; "
                       + "log in \(out)/shard-2.log\n")
        XCTAssertEqual(run.result.stderr, "")
        let log = try String(contentsOfFile: out + "/shard-2.log", encoding: .utf8)
        XCTAssertEqual(log, "stand-in stdout\nstand-in stderr\n")
        // A requeued or rerun task appends to its log.
        _ = try runTask(arrayTask(output: out), in: folder)
        XCTAssertEqual(try String(contentsOfFile: out + "/shard-2.log", encoding: .utf8),
                       log + log)
    }

    func testArgumentsWinOverVariables() throws {
        let folder = temporaryFolder()
        let run = try runTask(arrayTask(output: folder + "/out"),
                              arguments: ["p.json", "in", folder + "/elsewhere"], in: folder)
        XCTAssertEqual(run.result.status, 0, run.result.stderr)
        XCTAssertEqual(run.arguments, ["run", "-p", "p.json", "-i", "in",
                                       "-o", folder + "/elsewhere/shard-2",
                                       "--jobs", "3", "--log-format", "json"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/elsewhere/shard-2.log"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
    }

    func testOneJobWithoutCPUsPerTask() throws {
        let folder = temporaryFolder()
        var variables = arrayTask(output: folder + "/out")
        variables["SLURM_CPUS_PER_TASK"] = nil
        variables["SLURM_ARRAY_TASK_ID"] = "4"
        let run = try runTask(variables, in: folder)
        XCTAssertEqual(run.arguments.map { Array($0.suffix(6)) },
                       ["-o", folder + "/out/shard-0", "--jobs", "1", "--log-format", "json"])
    }

    func testEquiscanVariableNamesTheBinary() throws {
        let folder = temporaryFolder()
        var variables = arrayTask(output: folder + "/out")
        variables["EQUISCAN"] = "/bin/echo"
        let run = try runTask(variables, in: folder)
        XCTAssertEqual(run.result.status, 0, run.result.stderr)
        XCTAssertNil(run.arguments, "the stand-in on the PATH ran instead of $EQUISCAN")
        XCTAssertEqual(try String(contentsOfFile: folder + "/out/shard-2.log", encoding: .utf8),
                       "run -p /srv/pipelines/classify.json -i /srv/scans -o \(folder)/out/shard-2"
                       + " --jobs 3 --log-format json\n")
    }

    func testMissingSettingsAreRefusedBeforeEquiscanRuns() throws {
        let folder = temporaryFolder()
        let table: [(String, String)] = [
            ("EQUISCAN_PIPELINE", "no pipeline"), ("EQUISCAN_INPUT", "no input folder"),
            ("EQUISCAN_OUTPUT", "no output folder"),
            ("SLURM_ARRAY_TASK_ID", "not a job array task: submit with sbatch --array=0-N"),
            ("SLURM_ARRAY_TASK_MIN", "not a job array task: submit with sbatch --array=0-N"),
        ]
        for (variable, message) in table {
            var variables = arrayTask(output: folder + "/out")
            variables[variable] = nil
            let run = try runTask(variables, in: folder)
            XCTAssertNotEqual(run.result.status, 0, variable)
            XCTAssertTrue(run.result.stderr.contains("\(variable): \(message)"),
                          "\(variable): \(run.result.stderr)")
            XCTAssertNil(run.arguments, "\(variable) unset, yet equiscan ran")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
    }

    /// The header asks Slurm for CPUs (which the script passes on as --jobs) and keeps
    /// requeue and the early SIGTERM that lets EquiScan stop cleanly.
    func testHeaderDirectives() throws {
        let text = try String(contentsOfFile: Self.script, encoding: .utf8)
        let directives = text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }
            .map { String($0.dropFirst("#SBATCH ".count)) }
        XCTAssertTrue(directives.contains { $0.hasPrefix("--cpus-per-task=") }, "\(directives)")
        XCTAssertTrue(directives.contains("--requeue"), "\(directives)")
        XCTAssertTrue(directives.contains("--signal=B:TERM@60"), "\(directives)")
        XCTAssertTrue(text.contains(#"--jobs "${SLURM_CPUS_PER_TASK:-1}""#))
    }
}
