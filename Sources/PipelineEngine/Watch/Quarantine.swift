import Foundation
import SafeFiles

/// `OUT/quarantine/PATH.error.json`: why a watched file was set aside, beside the file itself
/// at `OUT/quarantine/PATH` (PATH: its path relative to the inbox, `-1`, `-2`… added when a
/// file of that name is already there). Times are ISO 8601 UTC.
public struct QuarantineRecord: Sendable, Equatable, Codable {
    public var `case`: String
    /// Where the file was found.
    public var file: String
    /// Where it is now.
    public var quarantined: String
    public var inputSHA256: String
    /// The stage that failed (`"0 LoadImage"`, `"input"`) and why, naming the file.
    public var stage: String
    public var reason: String
    /// Attempts made at this input, the last included.
    public var attempts: Int
    /// When this watcher saw the first and the last attempt fail (the first is the last when
    /// earlier attempts were made by a watcher that has since stopped).
    public var firstFailureAt: String
    public var lastFailureAt: String
    public var quarantinedAt: String
    /// The failed attempt's record, relative to the output folder, when one was written (it
    /// stays in `results/`).
    public var record: String?
}

/// Sets failed files aside in `OUT/quarantine/`, keeping their paths relative to the inbox.
public enum Quarantine {
    /// The quarantine folder's name inside the output folder.
    public static let folderName = "quarantine"
    /// What a sidecar's name adds to its file's name.
    public static let sidecarSuffix = ".error.json"

    /// Moves the file `relativePath` of `inbox` into quarantine with its sidecar; returns the
    /// file's and the sidecar's new paths. The sidecar is written first: a crash in between
    /// leaves the file in the inbox (it is tried again) and a sidecar the next quarantine of
    /// that name replaces.
    static func move(_ relativePath: String, inbox: String, outputFolder: String,
                     record: (_ destination: String) -> QuarantineRecord) throws
        -> (file: String, sidecar: String) {
        let source = (inbox as NSString).appendingPathComponent(relativePath)
        let folder = (outputFolder as NSString).appendingPathComponent(folderName)
        let destination = (folder as NSString).appendingPathComponent(relativePath)
        for candidate in InboxFiles.candidates(destination) {
            if InboxFiles.exists(candidate) && !FileIdentity.same(source, candidate) { continue }
            let sidecar = candidate + sidecarSuffix
            try InboxFiles.createFolder(of: sidecar)
            try AtomicFile.writeJSON(record(candidate), to: sidecar)
            if try InboxFiles.moveUnlessTaken(source, to: candidate) {
                return (candidate, sidecar)
            }
        }
        preconditionFailure("candidates never runs out")
    }

    /// Every sidecar under `OUT/quarantine/` (unreadable ones left out).
    public static func records(outputFolder: String) -> [QuarantineRecord] {
        let folder = (outputFolder as NSString).appendingPathComponent(folderName)
        guard let files = try? CaseDiscovery.walk(folder, skipping: nil) else { return [] }
        let decoder = JSONDecoder()
        return files.filter { $0.hasSuffix(sidecarSuffix) }.sorted().compactMap { relative in
            let path = (folder as NSString).appendingPathComponent(relative)
            return FileManager.default.contents(atPath: path)
                .flatMap { try? decoder.decode(QuarantineRecord.self, from: $0) }
        }
    }
}
