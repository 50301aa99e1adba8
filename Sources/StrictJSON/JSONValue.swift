/// A parsed JSON value that keeps object keys in file order and numbers as written, so that
/// config validation can quote the user's own text back in its error messages.
///
/// Produced by `JSONValue.parse(_:)`, a strict RFC 8259 parser: no comments, no trailing commas,
/// no duplicate keys (each is an error naming its path), no NaN or infinities.
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

extension JSONValue {
    /// Parses UTF-8 JSON text. Syntax errors carry line and column; duplicate keys carry the
    /// JSON path of the duplicate.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        parser.skipWhitespace()
        let value = try parser.parseValue(path: ConfigPath.root)
        parser.skipWhitespace()
        if parser.position < parser.bytes.count {
            throw parser.syntaxError("unexpected text after the top-level value")
        }
        return value
    }
}

/// The recursive-descent parser behind `JSONValue.parse`.
private struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    /// Nesting limit so hostile input cannot exhaust the stack.
    let maximumDepth = 200
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func syntaxError(_ message: String) -> ConfigError {
        var line = 1
        var column = 1
        for byte in bytes[0..<min(position, bytes.count)] {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return ConfigError(path: .root, message: "JSON syntax error at line \(line), column "
                           + "\(column): \(message)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func parseValue(path: ConfigPath) throws -> JSONValue {
        guard position < bytes.count else { throw syntaxError("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(path: path)
        case UInt8(ascii: "["): return try parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default:
            throw syntaxError("unexpected character '\(Character(UnicodeScalar(bytes[position])))'")
        }
    }

    mutating func expectWord(_ word: String) throws {
        let w = Array(word.utf8)
        guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w
        else { throw syntaxError("expected '\(word)'") }
        position += w.count
    }

    mutating func enter() throws {
        depth += 1
        if depth > maximumDepth { throw syntaxError("nesting deeper than \(maximumDepth)") }
    }

    mutating func parseObject(path: ConfigPath) throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw syntaxError("expected a string key")
            }
            let key = try parseString()
            if !seen.insert(key).inserted {
                throw ConfigError(path: path.appending(key), message: "duplicate key")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw syntaxError("expected ':' after key \(JSONValue.escape(key))")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue(path: path.appending(key))
            members.append((key, value))
            skipWhitespace()
            guard position < bytes.count else { throw syntaxError("unterminated object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw syntaxError("expected ',' or '}' in object")
        }
    }

    mutating func parseArray(path: ConfigPath) throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(path: path.appending(items.count)))
            skipWhitespace()
            guard position < bytes.count else { throw syntaxError("unterminated array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw syntaxError("expected ',' or ']' in array")
        }
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = position
        func digits() -> Int {
            let s = position
            while position < bytes.count,
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                position += 1
            }
            return position - s
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits()
        if integerDigits == 0 { throw syntaxError("expected digits in number") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
            throw syntaxError("leading zeros are not allowed in numbers")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            if digits() == 0 { throw syntaxError("expected digits after '.'") }
        }
        if position < bytes.count,
           bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count,
               bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            if digits() == 0 { throw syntaxError("expected digits in exponent") }
        }
        let literal = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(literal), value.isFinite else {
            throw syntaxError("number \(literal) is out of range")
        }
        return .number(value, literal: literal)
    }

    mutating func parseString() throws -> String {
        position += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flushRaw() throws {
            guard !raw.isEmpty else { return }
            guard let s = String(validating: raw, as: UTF8.self) else {
                throw syntaxError("invalid UTF-8 in string")
            }
            scalars.append(contentsOf: s.unicodeScalars)
            raw.removeAll(keepingCapacity: true)
        }
        while true {
            guard position < bytes.count else { throw syntaxError("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                try flushRaw()
                return String(scalars)
            }
            if byte < 0x20 { throw syntaxError("control character in string") }
            if byte != UInt8(ascii: "\\") {
                raw.append(byte)
                position += 1
                continue
            }
            try flushRaw()
            position += 1
            guard position < bytes.count else { throw syntaxError("unterminated escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw syntaxError("unpaired surrogate in string")
                    }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw syntaxError("unpaired surrogate in string")
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else {
                    throw syntaxError("invalid \\u escape")
                }
                scalars.append(scalar)
            default:
                throw syntaxError("invalid escape '\\\(Character(UnicodeScalar(escape)))'")
            }
        }
    }

    mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw syntaxError("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw syntaxError("invalid hex digit in \\u escape")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }
}
