import Foundation
import ImageCodecs
import Reports
import SafeFiles

/// Why shard folders cannot be merged.
public struct MergeError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// A shard folder or its `run.json` is missing.
        case missing
        /// The shards disagree: different pipelines or models, or two different records of
        /// one case.
        case conflict
        /// The request itself is wrong (the output is one of the shards, or holds a run).
        case usage
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }
}

/// `equiscan merge SHARD... -o OUT`: combines the output folders of a sharded run into one
/// folder that looks like a single run's: every record, every written file, one ledger, one
/// `run.json`, and its reports (`reports/`, made from the merged records).
///
/// Everything is checked before anything is written: every shard finished (its `run.json`
/// has `endedAt`), all ran the same pipeline and models, and a case found in two shards has
/// the same record in both (timings aside); otherwise nothing is merged. Files are copied
/// through `AtomicFile`; the shard folders are only read.
public enum RunMerge {
    public static func merge(shards: [String], into out: String) throws -> RunManifest.Counts {
        let target = CaseDiscovery.canonical(out)
        if shards.contains(where: { CaseDiscovery.canonical($0) == target }) {
            throw MergeError(kind: .usage, message: "\(out): the merged folder is one of the "
                             + "shards; give a new folder")
        }
        if FileManager.default.fileExists(atPath: join(out, "run.json")) {
            throw MergeError(kind: .usage, message: "\(out): already holds a run (run.json); "
                             + "merge into a new folder")
        }
        let manifests = try shards.map(readManifest)
        try checkSameRun(manifests, shards)
        var records: [String: (shard: String, record: CaseRecord)] = [:]
        for shard in shards {
            for record in try readRecords(shard) {
                if let earlier = records[record.case] {
                    guard sameOutcome(earlier.record, record) else {
                        throw MergeError(kind: .conflict, message: "case \(record.case) has "
                                         + "different records in \(earlier.shard) and \(shard); "
                                         + "nothing was merged")
                    }
                    continue
                }
                records[record.case] = (shard, record)
            }
        }
        let ids = records.keys.sorted()
        try OutputModes.createFolder(out)
        let ledger = try RunLedger.open(outputFolder: out)
        var entriesByShard: [String: [String: LedgerEntry]] = [:]
        for shard in shards
        where FileManager.default.fileExists(atPath: join(shard, RunLedger.folderName + "/"
                                                         + RunLedger.fileName)) {
            let entries = try RunLedger.open(outputFolder: shard).entries()
            entriesByShard[shard] = Dictionary(entries.map { ($0.key.caseID, $0) },
                                               uniquingKeysWith: { $1 })
        }
        var counts = RunManifest.Counts(cases: ids.count, ok: 0, failed: 0, skipped: 0)
        for id in ids {
            guard let (shard, record) = records[id] else { continue }
            let files = [CaseRecord.relativePath(forCase: id)] + record.outputs
            for file in files {
                guard let data = FileManager.default.contents(atPath: join(shard, file)) else {
                    throw MergeError(kind: .missing, message: "\(join(shard, file)): listed by "
                                     + "case \(id) but missing; rerun that shard first")
                }
                let destination = join(out, file)
                try CaseOutputWriter.createFolder(of: destination)
                try AtomicFile.write(data, to: destination)
            }
            if let entry = entriesByShard[shard]?[id] { try ledger.insert(entry) }
            if record.status == .ok { counts.ok += 1 } else { counts.failed += 1 }
        }
        var manifest = manifests[0]
        manifest.inputs = Array(Set(manifests.flatMap(\.inputs))).sorted()
        manifest.startedAt = manifests.map(\.startedAt).min() ?? manifest.startedAt
        manifest.endedAt = manifests.compactMap(\.endedAt).max()
        manifest.host = Array(Set(manifests.map(\.host))).sorted().joined(separator: ", ")
        manifest.shard = nil
        manifest.counts = counts
        try AtomicFile.writeJSON(manifest, to: join(out, "run.json"))
        try ReportWriter.refresh(outputFolder: out)
        return counts
    }

    static func readManifest(_ shard: String) throws -> RunManifest {
        let path = join(shard, "run.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MergeError(kind: .missing, message: "\(path): missing; \(shard) is not the "
                             + "output folder of equiscan run")
        }
        let manifest: RunManifest
        do {
            manifest = try JSONDecoder().decode(RunManifest.self, from: data)
        } catch {
            throw MergeError(kind: .conflict, message: "\(path): not a run record of this "
                             + "version of EquiScan")
        }
        guard manifest.endedAt != nil else {
            throw MergeError(kind: .conflict, message: "\(path): the run has not finished (no "
                             + "endedAt); rerun that shard to complete it first")
        }
        return manifest
    }

    static func checkSameRun(_ manifests: [RunManifest], _ shards: [String]) throws {
        let first = manifests[0]
        for (manifest, shard) in zip(manifests, shards).dropFirst() {
            if manifest.pipeline.sha256 != first.pipeline.sha256 {
                throw MergeError(kind: .conflict, message: "\(shard) ran another pipeline than "
                                 + "\(shards[0]) (pipeline SHA-256 differs); nothing was merged")
            }
            if manifest.models.map(\.sha256) != first.models.map(\.sha256) {
                throw MergeError(kind: .conflict, message: "\(shard) ran other models than "
                                 + "\(shards[0]) (weights SHA-256 differ); nothing was merged")
            }
        }
    }

    /// Every record under `shard/results`.
    static func readRecords(_ shard: String) throws -> [CaseRecord] {
        let folder = join(shard, "results")
        let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]
                     ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".")
                                     && !$0.contains("/.") }.sorted()
        let decoder = JSONDecoder()
        return try files.map { file in
            let path = join(folder, file)
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? decoder.decode(CaseRecord.self, from: data) else {
                throw MergeError(kind: .conflict, message: "\(path): not a case record")
            }
            return record
        }
    }

    /// Whether two records say the same (everything but the timings).
    static func sameOutcome(_ a: CaseRecord, _ b: CaseRecord) -> Bool {
        a.withoutTimings == b.withoutTimings
    }

    static func join(_ folder: String, _ relative: String) -> String {
        (folder as NSString).appendingPathComponent(relative)
    }
}
