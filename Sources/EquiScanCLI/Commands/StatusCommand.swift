import ArgumentParser
import Foundation
import PipelineEngine

/// `equiscan status OUT [--json]`: where the cases of an output folder stand.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Count the cases of an output folder by state.",
        discussion: """
            Reads OUT's ledger, OUT/quarantine/ and the inbox of the last watcher of OUT, \
            and prints the counts: done (ok), failed (waiting for a retry, or failed in a \
            run), pending (files in the inbox not processed in their present content), in \
            progress (started, not finished: cut short when no watcher is running; the next \
            start redoes them) and quarantined (files in OUT/quarantine/). Names the \
            watcher holding OUT, if one does. Only reads. --json prints {output, watcher, \
            inbox, counts}. Exit status: 0; 66 OUT holds no ledger; 65 the ledger is \
            unreadable.
            """)

    @Argument(help: "The output folder of `equiscan watch` or `equiscan run`.")
    var output: String

    @Flag(name: .long, help: "Print the status as JSON.")
    var json = false

    func run() throws {
        let status = try WatchStatus.read(outputFolder: output)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        if let watcher = status.watcher {
            print("\(output): watched by pid \(watcher.pid) on host \(watcher.host) since "
                  + "\(watcher.startedAt), inbox \(watcher.inbox)")
        } else {
            print("\(output): no watcher running"
                  + (status.inbox.map { " (last inbox \($0))" } ?? ""))
        }
        let counts = status.counts
        let interrupted = status.watcher == nil && counts.inProgress > 0
            ? " (cut short; redone at the next start)" : ""
        print("done \(counts.done), failed \(counts.failed), pending \(counts.pending), "
              + "in progress \(counts.inProgress)\(interrupted), "
              + "quarantined \(counts.quarantined)")
    }
}
