import Foundation
import GRDB
import ImageCodecs
import SafeFiles

/// The resume ledger of an output folder: one row per case id saying with which input,
/// pipeline and models the case last ran, how it ended and which files it wrote, so that a
/// rerun redoes only what changed, failed or was cut short.
///
/// Stored in SQLite at `OUT/.equiscan/ledger.sqlite` through one GRDB `DatabaseQueue` with
/// SQLite's default rollback journal, not WAL: output folders of sharded runs live on shared
/// cluster file systems (NFS, Lustre), where WAL's shared-memory index does not work. The
/// journal makes every change atomic, so the ledger is the one file of the output folder not
/// written through `AtomicFile`. All calls are safe from any thread: the
/// queue runs them one at a time, each in its own transaction. Another process using the same
/// ledger is waited for up to 30 seconds, then reported as `LedgerError.Kind.busy`.
public final class RunLedger: Sendable {
    /// The ledger's folder inside the output folder.
    public static let folderName = ".equiscan"
    /// The ledger's file name inside `folderName`.
    public static let fileName = "ledger.sqlite"

    /// The ledger file.
    public let path: String
    /// The folder holding the ledger (`OUT/.equiscan`), named in errors as the thing to delete.
    public let folder: String
    private let queue: DatabaseQueue
    /// Time stamps for `markStarted` and `markFinished`; injectable so tests are exact.
    private let clock: @Sendable () -> Date

    private init(path: String, folder: String, queue: DatabaseQueue,
                 clock: @escaping @Sendable () -> Date) {
        self.path = path
        self.folder = folder
        self.queue = queue
        self.clock = clock
    }

    /// Opens the ledger of `outputFolder`, creating `.equiscan/ledger.sqlite` (and the folders)
    /// when missing and bringing an older schema up to date.
    ///
    /// Throws `SafeFileError` when the folder cannot be created or the file is a protected
    /// input, and `LedgerError` when the file is not a ledger (it names the folder to delete to
    /// start over), was written by a newer EquiScan, or cannot be opened.
    public static func open(outputFolder: String,
                            clock: @escaping @Sendable () -> Date = { Date() }) throws
        -> RunLedger {
        let folder = join(outputFolder, folderName)
        let path = join(folder, fileName)
        do {
            try OutputModes.createFolder(folder)
        } catch {
            throw SafeFileError(.io, path: folder, "cannot create the ledger folder")
        }
        try ProtectedInputs.shared.checkNotInput(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "EquiScan ledger"
        let migrator = LedgerSchema.migrator
        let queue = try mapErrors("open the ledger", path: path, folder: folder) {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let superseded = try queue.read { try migrator.hasBeenSuperseded($0) }
            guard !superseded else {
                throw LedgerError(.newerFormat, path: path,
                                  "was written by a newer version of EquiScan; use that "
                                  + "version, or " + LedgerError.startOver(folder))
            }
            try migrator.migrate(queue)
            return queue
        }
        return RunLedger(path: path, folder: folder, queue: queue, clock: clock)
    }

    /// Records that `key`'s case has started: status `running`, no record and no outputs until
    /// it finishes. The attempt count goes up by one when the key is unchanged, else restarts
    /// at 1. A case left `running` by a killed process is redone by the next run.
    public func markStarted(_ key: CaseKey) throws {
        let now = clock()
        try write("record the start of case \(key.caseID)") { db in
            let previous = try CaseRow.fetchOne(db, key: key.caseID)
            let attempts = previous.map { $0.key == key ? $0.attempts + 1 : 1 } ?? 1
            try Self.store(LedgerEntry(key: key, status: .running, record: nil, outputs: [],
                                       startedAt: now, finishedAt: nil, attempts: attempts),
                           in: db)
        }
    }

    /// Records that `key`'s case has finished with `status` (`ok` or `failed`), its results
    /// file `record` and the other files it wrote, all with paths relative to the output
    /// folder. Keeps the start time and attempt count of a matching `markStarted`; without one
    /// the case counts as started now.
    public func markFinished(_ key: CaseKey, status: CaseStatus, record: LedgerOutput,
                             outputs: [LedgerOutput]) throws {
        precondition(status != .running, "markFinished needs a final status, ok or failed")
        let now = clock()
        try write("record the end of case \(key.caseID)") { db in
            var startedAt = now
            var attempts = 1
            if let previous = try CaseRow.fetchOne(db, key: key.caseID), previous.key == key {
                if previous.status == .running {
                    startedAt = previous.startedAt
                    attempts = previous.attempts
                } else {
                    attempts = previous.attempts + 1
                }
            }
            try Self.store(LedgerEntry(key: key, status: status, record: record,
                                       outputs: outputs, startedAt: startedAt,
                                       finishedAt: now, attempts: attempts),
                           in: db)
        }
    }

    /// The finished entry of `key`'s case when its result can be reused as it stands: the
    /// stored key equals `key` (same input, pipeline and models), the status is `ok`, and the
    /// record and every output exist under `outputFolder` with their recorded SHA-256.
    ///
    /// Nil means the case must be redone: never run, killed mid-case (`running`), `failed`,
    /// run with something else, or a file missing, unreadable or changed since. Throws only
    /// when the ledger itself cannot be read.
    public func reusable(_ key: CaseKey, outputFolder: String) throws -> LedgerEntry? {
        guard let entry = try entry(caseID: key.caseID), entry.key == key, entry.status == .ok,
              let record = entry.record else {
            return nil
        }
        for file in [record] + entry.outputs {
            let actual = try? ContentHash.hex(fileAt: Self.join(outputFolder, file.path))
            guard actual == file.sha256 else { return nil }
        }
        return entry
    }

    /// The entry of case `caseID`, nil when the ledger has none.
    public func entry(caseID: String) throws -> LedgerEntry? {
        try read("read case \(caseID)") { db in
            guard let row = try CaseRow.fetchOne(db, key: caseID) else { return nil }
            let outputs = try OutputRow.filter(Column("caseID") == caseID).fetchAll(db)
            return row.entry(outputs: outputs)
        }
    }

    /// Every entry, ordered by case id (for `equiscan merge` and reports).
    public func entries() throws -> [LedgerEntry] {
        try read("read the ledger") { db in
            let rows = try CaseRow.order(Column("caseID")).fetchAll(db)
            let allOutputs = try OutputRow.fetchAll(db)
            let outputs = Dictionary(grouping: allOutputs, by: \.caseID)
            return rows.map { $0.entry(outputs: outputs[$0.caseID] ?? []) }
        }
    }

    /// Stores `entry` as it is, replacing any entry of the same case id (`equiscan merge`
    /// copies shards' entries this way).
    public func insert(_ entry: LedgerEntry) throws {
        try write("store case \(entry.key.caseID)") { db in try Self.store(entry, in: db) }
    }

    /// Removes every entry, so that every case is redone.
    public func forgetAll() throws {
        try write("clear the ledger") { db in
            _ = try OutputRow.deleteAll(db)
            _ = try CaseRow.deleteAll(db)
        }
    }

    /// Replaces the case row and output rows of `entry`'s case id.
    private static func store(_ entry: LedgerEntry, in db: Database) throws {
        _ = try OutputRow.filter(Column("caseID") == entry.key.caseID).deleteAll(db)
        try CaseRow(entry).save(db)
        for (position, output) in entry.outputs.enumerated() {
            try OutputRow(caseID: entry.key.caseID, position: position, path: output.path,
                          sha256: output.sha256).insert(db)
        }
    }

    private func write(_ what: String, _ body: (Database) throws -> Void) throws {
        try Self.mapErrors(what, path: path, folder: folder) { try queue.write(body) }
    }

    private func read<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        try Self.mapErrors(what, path: path, folder: folder) { try queue.read(body) }
    }

    /// Runs `body`, turning GRDB's errors into `LedgerError`s that name the ledger file.
    private static func mapErrors<T>(_ what: String, path: String, folder: String,
                                     _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LedgerError {
            throw error
        } catch let error as DatabaseError {
            throw LedgerError.sqlite(error, doing: what, path: path, folder: folder)
        } catch {
            // Row decoding failures: a row this version's types cannot represent.
            throw LedgerError(.unreadable, path: path,
                              "cannot \(what): the ledger holds a row this version cannot "
                              + "read; " + LedgerError.startOver(folder))
        }
    }

    /// `folder/name`, without doubling a trailing slash.
    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
