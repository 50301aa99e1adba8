import Foundation

/// One-line summaries of Foundation decoding failures, for messages a person reads: which key or
/// value failed, never Swift's debug description.
public enum DecodingFailure {
    /// "missing name at weights", "wrong value at input.channels", or "not JSON".
    public static func summary(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "top level" : keys.joined(separator: ".")
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing \(key.stringValue) at \(path(context))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong value at \(path(context))"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "not JSON" : "wrong value at \(path(context))"
        default:
            return "not JSON"
        }
    }
}
