/// A JSON value together with its JSON pointer and the document it came from, with typed
/// accessors that throw `ConfigError`s naming file, line, column and pointer and quoting the
/// value.
///
/// Typical use: `let training = try root.object(keys: ["epochs", "batchSize"])`, then
/// `try training.required("epochs").integer(atLeast: 1)`. `object(keys:)` rejects unknown keys up
/// front (with a suggestion when a known key is close), so typos never pass silently. `null` is a
/// value like any other: where a number is required, `null` is refused ("got null"), never taken
/// as absent.
public struct ConfigNode: Sendable {
    public let value: JSONValue
    public let path: ConfigPath
    /// The parsed document, for positions and the file name; nil for values built in code.
    public let document: JSONDocument?

    public init(value: JSONValue, path: ConfigPath = .root, document: JSONDocument? = nil) {
        self.value = value
        self.path = path
        self.document = document
    }

    /// Parses JSON text into a root node that remembers `file` and every value's position.
    public static func parse(_ text: String, file: String? = nil) throws -> ConfigNode {
        try JSONDocument.parse(text, file: file).rootNode
    }

    /// Line and column of this value's first character, when it came from parsed text.
    public var position: SourcePosition? { document?.position(of: path) }

    /// Line and column of this member's key (nil for array elements, the root, and values
    /// built in code).
    public var keyPosition: SourcePosition? { document?.keyPosition(of: path) }

    /// The node at `path` below this one's document (for errors about a sibling or child).
    func child(_ value: JSONValue, _ path: ConfigPath) -> ConfigNode {
        ConfigNode(value: value, path: path, document: document)
    }

    /// An error at this node: `"expected <expected>, got <value>"`.
    public func mismatch(_ expected: String) -> ConfigError {
        error("expected \(expected), got \(value.quoted)")
    }

    /// An error at this node with a free message.
    public func error(_ message: String) -> ConfigError {
        ConfigError(path: path, message: message, file: document?.file, position: position)
    }

    public var isNull: Bool { if case .null = value { return true } else { return false } }

    public func string() throws -> String {
        guard case .string(let s) = value else { throw mismatch("a string") }
        return s
    }

    /// A non-empty string.
    public func nonEmptyString() throws -> String {
        let s = try string()
        guard !s.isEmpty else { throw mismatch("a non-empty string") }
        return s
    }

    /// An array of at least `minimum` distinct non-empty strings (class names, labels):
    /// a repeated entry is an error at that entry.
    public func distinctNames(atLeast minimum: Int, _ what: String) throws -> [String] {
        let items = try array()
        guard items.count >= minimum else {
            throw mismatch(minimum == 1 ? "a non-empty list of \(what)s"
                           : "at least \(minimum) \(what)s")
        }
        var seen = Set<String>()
        return try items.map { item in
            let name = try item.nonEmptyString()
            guard seen.insert(name).inserted else {
                throw item.error("duplicate \(what) \(JSONValue.escape(name))")
            }
            return name
        }
    }

    public func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("true or false") }
        return b
    }

    public func number() throws -> Double {
        guard case .number(let n, _) = value else { throw mismatch("a number") }
        return n
    }

    /// A number > 0.
    public func positiveNumber() throws -> Double {
        guard case .number(let n, _) = value, n > 0 else { throw mismatch("a positive number") }
        return n
    }

    /// A number >= 0.
    public func nonNegativeNumber() throws -> Double {
        guard case .number(let n, _) = value, n >= 0 else {
            throw mismatch("a number >= 0")
        }
        return n
    }

    /// A number inside a closed range.
    public func number(in range: ClosedRange<Double>) throws -> Double {
        guard case .number(let n, _) = value, range.contains(n) else {
            throw mismatch("a number from \(Self.format(range.lowerBound)) to "
                           + "\(Self.format(range.upperBound))")
        }
        return n
    }

    /// A whole number (written without fraction or exponent that leaves a fraction).
    public func integer() throws -> Int {
        guard case .number(let n, _) = value, n.rounded() == n, abs(n) < 9.0e15 else {
            throw mismatch("a whole number")
        }
        return Int(n)
    }

    /// A whole number from 0 to `UInt64.max`, read from the literal so that large values
    /// (seeds) stay exact.
    public func unsignedInteger() throws -> UInt64 {
        guard case .number(let n, let literal) = value else {
            throw mismatch("a whole number >= 0")
        }
        if let exact = UInt64(literal) { return exact }
        guard n.rounded() == n, n >= 0, n < 9.0e15 else { throw mismatch("a whole number >= 0") }
        return UInt64(n)
    }

    /// A whole number >= `minimum`.
    public func integer(atLeast minimum: Int) throws -> Int {
        guard case .number(let n, _) = value, n.rounded() == n, abs(n) < 9.0e15,
              Int(n) >= minimum else {
            throw mismatch(minimum == 1 ? "a positive whole number"
                           : "a whole number >= \(minimum)")
        }
        return Int(n)
    }

    /// A whole number inside a closed range.
    public func integer(in range: ClosedRange<Int>) throws -> Int {
        guard case .number(let n, _) = value, n.rounded() == n, abs(n) < 9.0e15,
              range.contains(Int(n)) else {
            throw mismatch("a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(n)
    }

    /// One of a fixed set of strings, e.g. an enum's raw values.
    public func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws -> T
    where T.RawValue == String {
        let names = T.allCases.map { JSONValue.escape($0.rawValue) }
        guard case .string(let s) = value, let result = T(rawValue: s) else {
            throw mismatch("one of " + names.joined(separator: ", "))
        }
        return result
    }

    /// The elements of an array, each with its path.
    public func array() throws -> [ConfigNode] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { child($1, path.appending($0)) }
    }

    /// An array with a length inside `count`.
    public func array(count: ClosedRange<Int>) throws -> [ConfigNode] {
        let items = try array()
        guard count.contains(items.count) else {
            let wanted = count.lowerBound == count.upperBound ? "\(count.lowerBound)"
                : "\(count.lowerBound) to \(count.upperBound)"
            throw mismatch("an array of \(wanted) elements")
        }
        return items
    }

    /// An object whose keys must all be in `keys`; unknown keys are errors.
    public func object(keys: [String]) throws -> ConfigObject {
        var unknown: [ConfigError] = []
        let object = try self.object(keys: keys, collecting: &unknown)
        if let first = unknown.first { throw first }
        return object
    }

    /// An object whose unknown keys are appended to `problems` (one error per key, each at
    /// the key, with a did-you-mean) instead of thrown, so that a validator can report them
    /// all and still read the known members. Throws only when the value is not an object.
    public func object(keys: [String], collecting problems: inout [ConfigError]) throws
        -> ConfigObject {
        guard case .object(let members) = value else { throw mismatch("an object") }
        for member in members where !keys.contains(member.key) {
            var message = "unknown key"
            if let close = Self.closest(to: member.key, in: keys) {
                message += " (did you mean \(JSONValue.escape(close))?)"
            } else {
                message += "; allowed keys: " + keys.joined(separator: ", ")
            }
            let memberPath = path.appending(member.key)
            problems.append(ConfigError(path: memberPath, message: message,
                                        file: document?.file,
                                        position: document?.keyPosition(of: memberPath)
                                            ?? position))
        }
        return ConfigObject(node: self, members: members)
    }

    /// An object with free-form keys (a map), each value with its path.
    public func map() throws -> [(key: String, node: ConfigNode)] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return members.map { ($0.key, child($0.value, path.appending($0.key))) }
    }

    public static func format(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    /// The allowed key within edit distance 2 of `key` (case-insensitive), if any; also the
    /// did-you-mean of other closed vocabularies (pipeline op names).
    public static func closest(to key: String, in keys: [String]) -> String? {
        let lowered = Array(key.lowercased())
        var best: (String, Int)?
        for candidate in keys {
            let distance = editDistance(lowered, Array(candidate.lowercased()))
            if distance <= 2, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1,
                                 previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// An object member lookup whose keys were checked by `ConfigNode.object(keys:)`.
public struct ConfigObject: Sendable {
    /// The object itself.
    public let node: ConfigNode
    let members: [(key: String, value: JSONValue)]

    public var path: ConfigPath { node.path }

    /// The member, or an error "missing required key" reported at the object. A member that
    /// is `null` is returned, so the typed accessor refuses it ("got null").
    public func required(_ key: String) throws -> ConfigNode {
        guard let member = optional(key) else {
            throw ConfigError(path: path.appending(key), message: "missing required key",
                              file: node.document?.file, position: node.position)
        }
        return member
    }

    /// The member if the key is present, `null` included (an explicit `null` is a value to
    /// validate, not an absent key).
    public func optional(_ key: String) -> ConfigNode? {
        guard let member = members.first(where: { $0.key == key }) else { return nil }
        return node.child(member.value, path.appending(key))
    }

    /// Whether the key is present (even as null).
    public func contains(_ key: String) -> Bool { members.contains { $0.key == key } }

    /// The member parsed by `parse`, or `defaultValue` when the key is absent. A `null`
    /// member goes to `parse` like any other value, whose typed accessor refuses it.
    public func value<T>(_ key: String, default defaultValue: T,
                         _ parse: (ConfigNode) throws -> T) throws -> T {
        guard let member = optional(key) else { return defaultValue }
        return try parse(member)
    }

    /// An error at this object (for rules that involve several keys).
    public func error(_ message: String) -> ConfigError { node.error(message) }

    /// An error about `key` of this object: at the member when present, else at the object.
    public func error(at key: String, _ message: String) -> ConfigError {
        if let member = optional(key) { return member.error(message) }
        return ConfigError(path: path.appending(key), message: message,
                           file: node.document?.file, position: node.position)
    }
}
