/// The one CSV writer of EquiScan's reports: RFC 4180 text (comma-separated, CRLF line ends,
/// a field quoted when it holds a comma, a quote, CR or LF, quotes inside doubled), safe to
/// open in a spreadsheet.
///
/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and tab or
/// CR can start one too); such a field gets a leading `'` (OWASP's advice for CSV
/// injection), unless the whole field is a number, so negative numbers stay numbers. Case ids,
/// file names and error messages come from outside and pass through here.
public enum CSVTable {
    /// One line of `fields`, with its CRLF.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// One field, neutralised and quoted as needed.
    public static func field(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first),
           Double(value) == nil {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r"
                                      || $0 == "\r\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
