import Foundation
import ModelRuntime

/// A CSV that lists scans: a header naming a `path` (or `file`) column and value columns, one
/// scan per line. Paths relative to the CSV's folder are made full; quoted fields are not
/// supported. Read for classification lists and for `groups.csv` source ids.
struct PathTable {
    struct Row {
        /// The scan's path, relative paths resolved against the CSV's folder.
        var path: String
        /// The fields of `valueColumns` then `optionalColumns`, in that order; nil for an
        /// optional column the header lacks.
        var values: [String?]
    }

    var rows: [Row]

    /// Reads `file`; every column of `valueColumns` must be in the header, those of
    /// `optionalColumns` may be. Column names are matched without case.
    init(file: String, valueColumns: [String], optionalColumns: [String] = []) throws {
        guard let data = FileManager.default.contents(atPath: file),
              let text = String(data: data, encoding: .utf8) else {
            throw DataError(.missing, file: file, "cannot read the CSV file")
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard let header = lines.first else { throw DataError(.empty, file: file, "empty CSV") }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let required = valueColumns.map { columns.firstIndex(of: $0) }
        guard let pathColumn = columns.firstIndex(of: "path") ?? columns.firstIndex(of: "file"),
              required.allSatisfy({ $0 != nil }) else {
            let names = (["a \"path\" (or \"file\") column"]
                         + valueColumns.map { "a \"\($0)\" column" }).joined(separator: " and ")
            throw DataError(.badTable, file: file, "the header must name \(names), got "
                            + "\"\(header)\"")
        }
        let wanted = required + optionalColumns.map { columns.firstIndex(of: $0) }
        let folder = (file as NSString).deletingLastPathComponent
        rows = []
        for (number, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == columns.count else {
                throw DataError(.badTable, file: file, "line \(number + 1) has \(fields.count) "
                                + "fields, the header has \(columns.count)")
            }
            let path = fields[pathColumn]
            rows.append(Row(path: path.hasPrefix("/") ? path
                                : (folder as NSString).appendingPathComponent(path),
                            values: wanted.map { $0.map { fields[$0] } }))
        }
    }
}
