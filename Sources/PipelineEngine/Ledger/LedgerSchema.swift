import Foundation
import GRDB

/// The ledger's tables and their migrations.
///
/// `ledgerCase` holds one row per case id; `ledgerOutput` the files each case wrote, in order,
/// removed with their case. Later schema changes are new migrations appended here, never
/// edits of registered ones, so that a ledger written by an older EquiScan still opens.
enum LedgerSchema {
    /// Every migration, oldest first.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: CaseRow.databaseTableName) { table in
                table.primaryKey("caseID", .text).notNull()
                table.column("inputSHA256", .text).notNull()
                table.column("pipelineHash", .text).notNull()
                table.column("modelHashes", .text).notNull()
                let statuses = CaseStatus.allCases.map { "'\($0.rawValue)'" }
                    .joined(separator: ", ")
                table.column("status", .text).notNull().check(sql: "status IN (\(statuses))")
                table.column("recordPath", .text)
                table.column("recordSHA256", .text)
                table.column("startedAt", .datetime).notNull()
                table.column("finishedAt", .datetime)
                table.column("attempts", .integer).notNull()
            }
            try db.create(table: OutputRow.databaseTableName) { table in
                table.column("caseID", .text).notNull()
                    .references(CaseRow.databaseTableName, onDelete: .cascade)
                table.column("position", .integer).notNull()
                table.column("path", .text).notNull()
                table.column("sha256", .text).notNull()
                table.primaryKey(["caseID", "position"])
            }
        }
        return migrator
    }
}

/// A row of `ledgerCase`: a `LedgerEntry` without its outputs.
struct CaseRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "ledgerCase"

    var caseID: String
    var inputSHA256: String
    var pipelineHash: String
    var modelHashes: String
    var status: CaseStatus
    var recordPath: String?
    var recordSHA256: String?
    var startedAt: Date
    var finishedAt: Date?
    var attempts: Int

    init(_ entry: LedgerEntry) {
        caseID = entry.key.caseID
        inputSHA256 = entry.key.inputSHA256
        pipelineHash = entry.key.pipelineHash
        modelHashes = entry.key.modelHashes
        status = entry.status
        recordPath = entry.record?.path
        recordSHA256 = entry.record?.sha256
        startedAt = entry.startedAt
        finishedAt = entry.finishedAt
        attempts = entry.attempts
    }

    var key: CaseKey {
        CaseKey(caseID: caseID, inputSHA256: inputSHA256, pipelineHash: pipelineHash,
                modelHashes: modelHashes)
    }

    /// The entry this row describes, with `outputs` in their stored order.
    func entry(outputs: [OutputRow]) -> LedgerEntry {
        var record: LedgerOutput?
        if let recordPath, let recordSHA256 {
            record = LedgerOutput(path: recordPath, sha256: recordSHA256)
        }
        return LedgerEntry(key: key, status: status, record: record,
                           outputs: outputs.sorted { $0.position < $1.position }
                               .map { LedgerOutput(path: $0.path, sha256: $0.sha256) },
                           startedAt: startedAt, finishedAt: finishedAt, attempts: attempts)
    }
}

/// A row of `ledgerOutput`: one file of one case, at its place in the case's list.
struct OutputRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "ledgerOutput"

    var caseID: String
    var position: Int
    var path: String
    var sha256: String
}
