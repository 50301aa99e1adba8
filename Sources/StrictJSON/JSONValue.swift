/// A parsed JSON value that keeps object keys in file order and numbers as written, so that
/// config validation can quote the user's own text back in its error messages.
///
/// Produced by `JSONDocument.parse(_:file:)` (which also keeps every value's line and column)
/// or `JSONValue.parse(_:)`: a strict RFC 8259 parser with no comments, no trailing commas, no
/// duplicate keys, no NaN or infinities; each is a `ConfigError` naming line, column and
/// JSON pointer.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number with the literal text it was written as (for quoting in errors).
    case number(Double, literal: String)
    case string(String)
    case array([JSONValue])
    /// Members in file order.
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a, _), .number(b, _)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count
                && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value written back as compact JSON, for quoting in error messages (long values are
    /// shortened with an ellipsis).
    public var quoted: String {
        let text = compactText
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    /// Compact JSON text of the value.
    public var compactText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(_, let literal): return literal
        case .string(let s): return JSONValue.escape(s)
        case .array(let items): return "[" + items.map(\.compactText).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { JSONValue.escape($0.key) + ":" + $0.value.compactText }
                .joined(separator: ",") + "}"
        }
    }

    /// A short name of the value's kind for messages ("a string", "an object", …).
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// `s` as a JSON string literal.
    public static func escape(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

