import ArgumentParser
import PipelineEngine

/// `equiscan merge SHARD... -o OUT`: one folder from the output folders of a sharded run.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the output folders of a sharded run into one.",
        discussion: """
            Copies every case record and written file of the shard folders into OUT, with \
            one ledger and one run.json (counts summed), and writes OUT/reports from the \
            merged records, so OUT reads like the output of a single run. Checked first, before \
            anything is written: every shard finished, all ran the same pipeline and models, \
            and a case present in two shards has the same record in both. The shard folders \
            are only read. Exit status: 0 merged; 64 OUT is a shard or already holds a run; \
            65 shards disagree; 66 a shard or one of its files is missing.
            """)

    @Argument(help: "Output folders of `equiscan run --shard` (or of Slurm/Kubernetes tasks).")
    var shards: [String] = []

    @Option(name: [.short, .customLong("output")], help: "The merged folder (new).")
    var output: String

    func validate() throws {
        if shards.isEmpty {
            throw ValidationError("give at least one shard folder to merge")
        }
    }

    func run() throws {
        let counts = try RunMerge.merge(shards: shards, into: output)
        print("merged \(shards.count) shard\(shards.count == 1 ? "" : "s") into \(output): "
              + "\(counts.cases) cases, \(counts.ok) ok, \(counts.failed) failed")
    }
}
