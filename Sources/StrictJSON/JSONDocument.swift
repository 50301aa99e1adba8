/// Parsed JSON text with the source position of every value: the root value, the file it came
/// from, and for each JSON pointer the line and column of the value's first character (and,
/// for object members, of its key).
///
/// `ConfigNode`s made from a document carry it, so every error they raise names the file, the
/// line and column, and the pointer.
public struct JSONDocument: Sendable {
    /// Where one value starts, and where its key starts when it is an object member.
    public struct Location: Sendable, Equatable {
        public var value: SourcePosition
        public var key: SourcePosition?

        public init(value: SourcePosition, key: SourcePosition? = nil) {
            self.value = value
            self.key = key
        }
    }

    public let root: JSONValue
    /// The file name used in error messages; nil for text that did not come from a file.
    public let file: String?
    let locations: [ConfigPath: Location]

    init(root: JSONValue, file: String?, locations: [ConfigPath: Location]) {
        self.root = root
        self.file = file
        self.locations = locations
    }

    /// Parses UTF-8 JSON text strictly (RFC 8259). Syntax errors are `ConfigError`s with the
    /// line and column of the problem and the pointer of the value being read.
    public static func parse(_ text: String, file: String? = nil) throws -> JSONDocument {
        var parser = JSONParser(bytes: Array(text.utf8), file: file)
        return JSONDocument(root: try parser.parseDocument(), file: file,
                            locations: parser.locations)
    }

    /// The root value as a node for typed reading.
    public var rootNode: ConfigNode { ConfigNode(value: root, path: .root, document: self) }

    /// Line and column of the value at `path`, if the document has one there.
    public func position(of path: ConfigPath) -> SourcePosition? { locations[path]?.value }

    /// Line and column of the key of the member at `path` (nil for array elements and root).
    public func keyPosition(of path: ConfigPath) -> SourcePosition? { locations[path]?.key }

    /// The position of `path`, or of the nearest enclosing value that exists (a missing key is
    /// reported at the object that lacks it).
    public func nearestPosition(of path: ConfigPath) -> SourcePosition? {
        var current = path
        while true {
            if let position = locations[current]?.value { return position }
            if current.components.isEmpty { return nil }
            current = current.parent
        }
    }

    /// `error` with this document's file and, when it has no position, the nearest position
    /// of its path.
    public func locate(_ error: ConfigError) -> ConfigError {
        var located = error
        if located.file == nil { located.file = file }
        if located.position == nil { located.position = nearestPosition(of: error.path) }
        return located
    }

    /// Reads the document with `body`; every `ConfigError` it throws is completed with this
    /// document's file and a position (see `locate(_:)`), so rules that build errors from a
    /// path alone still print `FILE:LINE:COL /pointer message`.
    public func read<T>(_ body: (ConfigNode) throws -> T) throws -> T {
        do {
            return try body(rootNode)
        } catch let error as ConfigError {
            throw locate(error)
        }
    }
}

extension JSONValue {
    /// Parses UTF-8 JSON text; see `JSONDocument.parse(_:file:)`, which also keeps positions.
    public static func parse(_ text: String) throws -> JSONValue {
        try JSONDocument.parse(text).root
    }
}

/// The recursive-descent parser behind `JSONDocument.parse`.
///
/// Works on UTF-8 bytes. Raw line breaks occur only in whitespace (a string may not hold
/// one), so the current line and the offset where it starts are tracked there; columns are
/// counted in Unicode scalars from the line start.
struct JSONParser {
    let bytes: [UInt8]
    let file: String?
    var offset = 0
    var line = 1
    var lineStart = 0
    /// Nesting limit so hostile input cannot exhaust the stack.
    let maximumDepth = 200
    var depth = 0
    var locations: [ConfigPath: JSONDocument.Location] = [:]
    /// A recent (offset, column) on the current line, so columns on long lines cost little.
    var columnMark = (offset: 0, column: 1)

    init(bytes: [UInt8], file: String?) {
        self.bytes = bytes
        self.file = file
    }

    /// Line and column of `target`, which must lie on the current line.
    mutating func position(at target: Int) -> SourcePosition {
        var (from, column) = columnMark
        if from < lineStart || from > target { (from, column) = (lineStart, 1) }
        for index in from..<min(target, bytes.count) where bytes[index] & 0xC0 != 0x80 {
            column += 1
        }
        columnMark = (target, column)
        return SourcePosition(line: line, column: column)
    }

    mutating func here() -> SourcePosition { position(at: offset) }

    func error(_ message: String, at position: SourcePosition, path: ConfigPath) -> ConfigError {
        ConfigError(path: path, message: message, file: file, position: position)
    }

    mutating func syntaxError(_ message: String, path: ConfigPath) -> ConfigError {
        error(message, at: here(), path: path)
    }

    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    func startsWith(_ word: String) -> Bool {
        let w = Array(word.utf8)
        return offset + w.count <= bytes.count && Array(bytes[offset..<offset + w.count]) == w
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x0A:
                offset += 1
                line += 1
                lineStart = offset
            case 0x20, 0x09, 0x0D: offset += 1
            default: return
            }
        }
    }

    mutating func parseDocument() throws -> JSONValue {
        skipWhitespace()
        let value = try parseValue(path: .root, key: nil)
        skipWhitespace()
        if offset < bytes.count {
            throw syntaxError("unexpected text after the end of the JSON value", path: .root)
        }
        return value
    }

    mutating func parseValue(path: ConfigPath, key: SourcePosition?) throws -> JSONValue {
        guard let byte = current else {
            throw syntaxError("unexpected end of input: expected a value", path: path)
        }
        locations[path] = JSONDocument.Location(value: here(), key: key)
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(path: path)
        case UInt8(ascii: "["): return try parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try parseString(path: path))
        case UInt8(ascii: "t"): try expectWord("true", path: path); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false", path: path); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null", path: path); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber(path: path)
        default:
            throw syntaxError(unexpectedValueMessage(), path: path)
        }
    }

    /// Names the common non-JSON spellings people bring from JavaScript, Python or YAML.
    func unexpectedValueMessage() -> String {
        for word in ["NaN", "Infinity", "+Infinity"] where startsWith(word) {
            return "\(word) is not a JSON number (use a finite number or null)"
        }
        switch current {
        case UInt8(ascii: "/"): return "comments are not allowed in JSON"
        case UInt8(ascii: "'"): return "strings need double quotes (\"), not single quotes"
        case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","):
            return "expected a value, got '\(describe(current))'"
        default: return "unexpected character '\(describe(current))': expected a value"
        }
    }

    /// The character at the current offset, decoded from UTF-8, for messages.
    func describe(_ byte: UInt8?) -> String {
        guard byte != nil else { return "" }
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    mutating func expectWord(_ word: String, path: ConfigPath) throws {
        guard startsWith(word) else {
            throw syntaxError("invalid literal: expected '\(word)'", path: path)
        }
        offset += word.utf8.count
    }

    mutating func enter(path: ConfigPath) throws {
        depth += 1
        if depth > maximumDepth {
            throw syntaxError("nesting deeper than \(maximumDepth) levels", path: path)
        }
    }

    mutating func parseObject(path: ConfigPath) throws -> JSONValue {
        try enter(path: path)
        defer { depth -= 1 }
        let open = here()
        offset += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                if current == nil {
                    throw error("unterminated object: no closing '}'", at: open, path: path)
                }
                if current == UInt8(ascii: "'") {
                    throw syntaxError("keys need double quotes (\"), not single quotes",
                                      path: path)
                }
                throw syntaxError("expected a key in double quotes, got '\(describe(current))'",
                                  path: path)
            }
            let keyPosition = here()
            let key = try parseString(path: path)
            let memberPath = path.appending(key)
            if !seen.insert(key).inserted {
                throw error("duplicate key \(JSONValue.escape(key))", at: keyPosition,
                            path: memberPath)
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw syntaxError("expected ':' after key \(JSONValue.escape(key))",
                                  path: memberPath)
            }
            offset += 1
            skipWhitespace()
            let value = try parseValue(path: memberPath, key: keyPosition)
            members.append((key, value))
            if try closes(with: UInt8(ascii: "}"), opened: open, path: path) {
                return .object(members)
            }
        }
    }

    /// After an object member or array element: consumes a ',' (refusing a trailing comma)
    /// and returns false, or consumes the closing bracket and returns true.
    mutating func closes(with closing: UInt8, opened open: SourcePosition,
                         path: ConfigPath) throws -> Bool {
        let bracket = closing == UInt8(ascii: "}") ? "}" : "]"
        let container = bracket == "}" ? "object" : "array"
        let element = bracket == "}" ? "a member" : "an element"
        skipWhitespace()
        switch current {
        case UInt8(ascii: ","):
            let comma = here()
            offset += 1
            skipWhitespace()
            if current == closing {
                throw error("trailing comma before '\(bracket)'", at: comma, path: path)
            }
            return false
        case closing:
            offset += 1
            return true
        case nil:
            throw error("unterminated \(container): no closing '\(bracket)'", at: open,
                        path: path)
        default:
            throw syntaxError("expected ',' or '\(bracket)' after \(element), got "
                              + "'\(describe(current))'", path: path)
        }
    }

    mutating func parseArray(path: ConfigPath) throws -> JSONValue {
        try enter(path: path)
        defer { depth -= 1 }
        let open = here()
        offset += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            if current == nil {
                throw error("unterminated array: no closing ']'", at: open, path: path)
            }
            items.append(try parseValue(path: path.appending(items.count), key: nil))
            if try closes(with: UInt8(ascii: "]"), opened: open, path: path) {
                return .array(items)
            }
        }
    }

    mutating func parseNumber(path: ConfigPath) throws -> JSONValue {
        let start = offset
        let startPosition = here()
        func digits() -> Int {
            let s = offset
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                offset += 1
            }
            return offset - s
        }
        if current == UInt8(ascii: "-") {
            offset += 1
            if startsWith("Infinity") {
                throw error("-Infinity is not a JSON number (use a finite number or null)",
                            at: startPosition, path: path)
            }
        }
        let integerStart = offset
        let integerDigits = digits()
        if integerDigits == 0 { throw syntaxError("expected digits in number", path: path) }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
            throw error("leading zeros are not allowed in numbers", at: startPosition,
                        path: path)
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            if digits() == 0 { throw syntaxError("expected digits after '.'", path: path) }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            if digits() == 0 { throw syntaxError("expected digits in exponent", path: path) }
        }
        let literal = String(decoding: bytes[start..<offset], as: UTF8.self)
        guard let value = Double(literal), value.isFinite else {
            throw error("number \(literal) is out of range", at: startPosition, path: path)
        }
        return .number(value, literal: literal)
    }

    mutating func parseString(path: ConfigPath) throws -> String {
        let open = here()
        offset += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var rawStart = offset
        // The input came from a `String`, so its bytes are valid UTF-8.
        func flushRaw(upTo end: Int) {
            guard end > rawStart else { return }
            scalars.append(contentsOf: String(decoding: bytes[rawStart..<end], as: UTF8.self)
                .unicodeScalars)
        }
        while true {
            guard let byte = current else {
                throw error("unterminated string: no closing quote", at: open, path: path)
            }
            if byte == UInt8(ascii: "\"") {
                flushRaw(upTo: offset)
                offset += 1
                return String(scalars)
            }
            if byte == 0x0A || byte == 0x0D {
                throw error("unterminated string: line break before the closing quote",
                            at: open, path: path)
            }
            if byte < 0x20 {
                throw syntaxError("control character U+00\(byte < 0x10 ? "0" : "")"
                                  + "\(String(byte, radix: 16, uppercase: true)) in string "
                                  + "(write it as an escape such as \\t)", path: path)
            }
            if byte != UInt8(ascii: "\\") {
                offset += 1
                continue
            }
            flushRaw(upTo: offset)
            let backslash = here()
            offset += 1
            guard let escape = current else {
                throw error("unterminated string: no closing quote", at: open, path: path)
            }
            offset += 1
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
                var code = try parseHex4(escapeAt: backslash, path: path)
                if (0xDC00...0xDFFF).contains(code) {
                    throw error("unpaired surrogate \\u\(hex(code)) in string", at: backslash,
                                path: path)
                }
                if (0xD800...0xDBFF).contains(code) {
                    guard startsWith("\\u") else {
                        throw error("unpaired surrogate \\u\(hex(code)) in string",
                                    at: backslash, path: path)
                    }
                    let lowEscape = here()
                    offset += 2
                    let low = try parseHex4(escapeAt: lowEscape, path: path)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw error("unpaired surrogate \\u\(hex(code)) in string",
                                    at: backslash, path: path)
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                // Surrogates are handled above, so every remaining code is a scalar.
                if let scalar = Unicode.Scalar(code) { scalars.append(scalar) }
            default:
                throw error("invalid escape '\\\(describe(escape, at: offset - 1))' in string "
                            + "(allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
                            at: backslash, path: path)
            }
            rawStart = offset
        }
    }

    func describe(_ byte: UInt8, at index: Int) -> String {
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }

    func hex(_ code: UInt32) -> String {
        let digits = String(code, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The four hex digits after `\u` (the offset is just past the `u`).
    mutating func parseHex4(escapeAt start: SourcePosition, path: ConfigPath) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt32
            switch current {
            case let b? where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b):
                digit = UInt32(b - UInt8(ascii: "0"))
            case let b? where (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b):
                digit = UInt32(b - UInt8(ascii: "a") + 10)
            case let b? where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(b):
                digit = UInt32(b - UInt8(ascii: "A") + 10)
            default:
                throw error("\\u escape needs four hex digits", at: start, path: path)
            }
            value = value * 16 + digit
            offset += 1
        }
        return value
    }
}
