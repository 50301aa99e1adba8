import Foundation

extension DecodingError {
    /// One line for an error message about stored JSON (a weight file's configuration): the
    /// key path and what was wrong, without Swift type names or the debug description, which
    /// mean nothing to the person who has to fix the file.
    public var summary: String {
        func path(_ context: Context) -> String {
            let keys = context.codingPath.map { key in
                key.intValue.map { "[\($0)]" } ?? key.stringValue
            }
            return keys.isEmpty ? "(top level)" : keys.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch self {
        case .typeMismatch(_, let context):
            return "\(path(context)): a value of the wrong type"
        case .valueNotFound(_, let context):
            return "\(path(context)): a required value is null or missing"
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "the key \"\(key.stringValue)\" is missing\(parent)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON"
                : "\(path(context)): an invalid value"
        @unknown default:
            return "not in the expected form"
        }
    }
}
