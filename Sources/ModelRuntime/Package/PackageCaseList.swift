import Foundation
import SafeFiles

/// One of the case lists a model package keeps beside `metadata.json`:
/// `training-cases.txt`, `validation-cases.txt` and `test-cases.txt`.
///
/// One file per line, relative to the data root the model was trained from (absolute when it
/// lay outside it); an image's label map, when it has one, on the line after it. Training and
/// validation lines carry the file's SHA-256 in `sha256sum` form (`<64 hex digits>  <path>`),
/// so `cd DATA && sha256sum -c MODEL/training-cases.txt` checks the data, and `evaluate`
/// recognises a case even under another name. Test lines are bare paths: `train` never opens
/// a test file, not even to hash it. Packages written before the lists existed have only
/// `validation-cases.txt`, of bare paths.
public struct PackageCaseList: Sendable, Equatable {
    /// Which part of the data a list holds.
    public enum Part: String, Sendable, CaseIterable, Codable {
        case training, validation, test

        /// The list's file name inside the package folder.
        public var fileName: String { "\(rawValue)-cases.txt" }
    }

    /// One listed file.
    public struct Entry: Sendable, Equatable {
        /// Relative to the data root (or absolute).
        public var path: String
        /// Lower-case hex SHA-256 of the file's bytes; nil for test files and old lists.
        public var sha256: String?

        public init(path: String, sha256: String?) {
            self.path = path
            self.sha256 = sha256
        }
    }

    public var part: Part
    public var entries: [Entry]

    public init(part: Part, entries: [Entry]) {
        self.part = part
        self.entries = entries
    }

    /// The file's text: one entry per line, each line ending in a newline.
    public var text: String {
        entries.map { entry in entry.sha256.map { "\($0)  \(entry.path)" } ?? entry.path }
            .map { $0 + "\n" }.joined()
    }

    /// Reads list text; a line is `<sha256>  <path>` when it starts with 64 lower-case hex
    /// digits and two spaces, else a bare path. Blank lines are skipped.
    public static func parse(_ text: String, part: Part) -> PackageCaseList {
        let hexDigits = Set("0123456789abcdef")
        let entries = text.split(whereSeparator: \.isNewline).compactMap { line -> Entry? in
            let line = String(line)
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            let digest = line.prefix(64)
            if line.count > 66, digest.allSatisfy(hexDigits.contains),
               line.dropFirst(64).hasPrefix("  ") {
                return Entry(path: String(line.dropFirst(66)), sha256: String(digest))
            }
            return Entry(path: line, sha256: nil)
        }
        return PackageCaseList(part: part, entries: entries)
    }

    /// The package's list of `part`; nil when the package has none (older packages).
    public static func load(_ part: Part, package folder: String) throws -> PackageCaseList? {
        let path = (folder as NSString).appendingPathComponent(part.fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8) else {
            throw DataError(.mismatch, file: path, "cannot be read as UTF-8 text; the package's "
                            + "\(part.rawValue) case list is damaged")
        }
        return parse(text, part: part)
    }

    /// Writes the list into the package folder (through `AtomicFile`).
    public func write(package folder: String) throws {
        try AtomicFile.write(text, to: (folder as NSString).appendingPathComponent(part.fileName))
    }
}
