/// A line and column in JSON text, both 1-based; the column counts Unicode scalars, so an `é`
/// or an emoji before the value counts as one column. A tab counts as one column.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The first character of a document.
    public static let start = SourcePosition(line: 1, column: 1)

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    /// `LINE:COL`.
    public var description: String { "\(line):\(column)" }
}

/// Where a value sits inside a JSON document, as an RFC 6901 JSON Pointer:
/// `/training/optimizer/learningRate`, `/data/labels/1/value`.
///
/// `~` and `/` inside keys are written `~0` and `~1`. The pointer of the whole document is
/// the empty string; `description` prints it as `/` so that messages always show a pointer.
public struct ConfigPath: Sendable, Hashable, CustomStringConvertible {
    /// One step: an object key or an array index.
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public private(set) var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// The whole document.
    public static let root = ConfigPath()

    public func appending(_ key: String) -> ConfigPath {
        ConfigPath(components + [.key(key)])
    }

    public func appending(_ index: Int) -> ConfigPath {
        ConfigPath(components + [.index(index)])
    }

    /// The enclosing value's path; the root is its own parent.
    public var parent: ConfigPath { ConfigPath(Array(components.dropLast())) }

    /// The RFC 6901 string: empty for the root, otherwise `/`-separated escaped tokens.
    public var pointer: String {
        components.map { component -> String in
            switch component {
            case .key(let key): return "/" + Self.escapeToken(key)
            case .index(let index): return "/\(index)"
            }
        }.joined()
    }

    /// The pointer, with the root written as `/`.
    public var description: String { components.isEmpty ? "/" : pointer }

    /// A reference token escaped per RFC 6901: `~` → `~0`, `/` → `~1` (in that order).
    public static func escapeToken(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

extension String {
    /// Foundation-free replacement, so that StrictJSON needs only the standard library.
    fileprivate func replacingOccurrences(of target: Character, with text: String) -> String {
        var out = ""
        for character in self {
            if character == target { out += text } else { out.append(character) }
        }
        return out
    }
}

/// A JSON document that cannot be used: where (file, line, column, JSON pointer) and what is
/// wrong, quoting the value found.
///
/// Prints on one line as `FILE:LINE:COL /json/pointer message`, for example
/// `train.json:12:24 /training/optimizer/learningRate expected a positive number, got -1`.
/// Without a file the line and column still lead (`12:24 /training/…`); an error about a file
/// as a whole (it cannot be read) prints as `FILE: message`.
///
/// Thrown by the parser for syntax errors and by validation, which never starts work: a
/// document either validates completely or nothing runs.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is inside the document.
    public var path: ConfigPath
    /// What is wrong, in words a person can act on.
    public var message: String
    /// The file, when known.
    public var file: String?
    /// True when the config file itself could not be read (missing, not a file, no
    /// permission): a missing input rather than an invalid config.
    public var isUnreadableFile = false
    /// Line and column of the problem (the value's first character, or the key for key
    /// errors), when known.
    public var position: SourcePosition?

    public init(path: ConfigPath, message: String, file: String? = nil,
                position: SourcePosition? = nil) {
        self.path = path
        self.message = message
        self.file = file
        self.position = position
    }

    public var description: String {
        var location = [file, position?.description].compactMap { $0 }.joined(separator: ":")
        if position == nil, path.components.isEmpty, let file {
            return "\(file): \(message)"
        }
        if !location.isEmpty { location += " " }
        return "\(location)\(path) \(message)"
    }
}
