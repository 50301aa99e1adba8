import Foundation
import ImageCodecs

/// Where the cases of an output folder stand, from its ledger, its quarantine folder and the
/// inbox its (last) watcher watched: what `equiscan status` prints. Only reads.
public struct WatchStatus: Sendable, Equatable, Codable {
    /// Cases by state. Each case of the ledger counts once: `done` (ok), `failed` (failed and
    /// not quarantined: waiting for a retry, or failed in `run`), `inProgress` (started and
    /// not finished: on a worker now, or cut short when no watcher is running); `pending`
    /// counts files of the inbox not processed in their present content, `quarantined` the
    /// files in `OUT/quarantine/`.
    public struct Counts: Sendable, Equatable, Codable {
        public var done = 0
        public var failed = 0
        public var pending = 0
        public var inProgress = 0
        public var quarantined = 0

        public init() {}
    }

    public var outputFolder: String
    /// The watcher holding the output folder now, if any.
    public var watcher: WatchLock.Holder?
    /// The inbox pending files were counted in (the last watcher's), if any.
    public var inbox: String?
    public var counts: Counts

    enum CodingKeys: String, CodingKey {
        case outputFolder = "output"
        case watcher, inbox, counts
    }

    /// Writes absent parts as `null`, so every status has the same keys.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(outputFolder, forKey: .outputFolder)
        try container.encode(watcher, forKey: .watcher)
        try container.encode(inbox, forKey: .inbox)
        try container.encode(counts, forKey: .counts)
    }

    /// The status of `outputFolder`; throws `WatchError.Kind.noInput` when it holds no
    /// ledger, and `LedgerError` when the ledger cannot be read.
    public static func read(outputFolder: String) throws -> WatchStatus {
        let ledgerPath = ((outputFolder as NSString).appendingPathComponent(RunLedger.folderName)
            as NSString).appendingPathComponent(RunLedger.fileName)
        guard FileManager.default.fileExists(atPath: ledgerPath) else {
            throw WatchError(.noInput, "\(outputFolder): no ledger at \(ledgerPath); give the "
                             + "output folder of an `equiscan run` or `equiscan watch`")
        }
        let entries = try RunLedger.open(outputFolder: outputFolder).entries()
        let quarantined = Quarantine.records(outputFolder: outputFolder)
        let setAside = Set(quarantined.map { "\($0.case)\n\($0.inputSHA256)" })
        var counts = Counts()
        counts.quarantined = quarantined.count
        for entry in entries {
            switch entry.status {
            case .ok: counts.done += 1
            case .running: counts.inProgress += 1
            case .failed:
                if !setAside.contains("\(entry.key.caseID)\n\(entry.key.inputSHA256)") {
                    counts.failed += 1
                }
            }
        }
        let (holder, live) = WatchLock.holder(outputFolder: outputFolder)
        if let holder {
            counts.pending = pendingFiles(holder, outputFolder: outputFolder,
                                          entries: Dictionary(entries.map { ($0.key.caseID, $0) },
                                                              uniquingKeysWith: { $1 }))
        }
        return WatchStatus(outputFolder: outputFolder, watcher: live ? holder : nil,
                           inbox: holder?.inbox, counts: counts)
    }

    /// Files of the holder's inbox that its rules take and whose present content the ledger
    /// has not seen (new, or changed since their case last finished). Only files changed
    /// after their case's entry are hashed.
    static func pendingFiles(_ holder: WatchLock.Holder, outputFolder: String,
                             entries: [String: LedgerEntry]) -> Int {
        let rules = IntakeRules(selection: InputSelection(include: holder.include,
                                                          exclude: holder.exclude),
                                readySentinel: holder.readySentinel)
        let skipped = CaseDiscovery.canonical(outputFolder)
        guard let files = try? CaseDiscovery.walk(holder.inbox, skipping: skipped) else {
            return 0
        }
        var pending = 0
        for relative in files where rules.accepts(relative) {
            let path = (holder.inbox as NSString).appendingPathComponent(relative)
            if rules.readySentinel,
               !InboxFiles.exists(path + "." + IntakeRules.sentinelExtension) { continue }
            guard let entry = entries[CaseDiscovery.caseID(relativePath: relative)] else {
                pending += 1
                continue
            }
            guard entry.status != .running, let finished = entry.finishedAt,
                  let stamp = FileStamp(path: path),
                  stamp.modified > finished.timeIntervalSince1970 else { continue }
            if (try? ContentHash.hex(fileAt: path)) != entry.key.inputSHA256 { pending += 1 }
        }
        return pending
    }
}
