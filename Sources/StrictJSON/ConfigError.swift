/// Where a value sits inside a config file, written the way people read it:
/// `training.optimizer.learningRate`, `data.labels[1].value`.
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

    /// Dotted form; keys that are not plain identifiers are quoted; the root is `(top level)`.
    public var description: String {
        if components.isEmpty { return "(top level)" }
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                let plain = !key.isEmpty && key.allSatisfy {
                    $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-"
                }
                if plain {
                    text += text.isEmpty ? key : "." + key
                } else {
                    text += "[" + JSONValue.escape(key) + "]"
                }
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}

/// A config that cannot be used: names the JSON path and says what was expected, quoting the
/// value found (`training.optimizer.learningRate: expected a positive number, got -1`).
///
/// Thrown by validation, which never starts work: a config either validates completely or
/// nothing runs.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is.
    public var path: ConfigPath
    /// What is wrong, in words a person can act on.
    public var message: String
    /// The config file, when known.
    public var file: String?
    /// True when the config file itself could not be read (missing, not a file, no
    /// permission): a missing input rather than an invalid config.
    public var isUnreadableFile = false

    public init(path: ConfigPath, message: String, file: String? = nil) {
        self.path = path
        self.message = message
        self.file = file
    }

    public var description: String {
        let location = file.map { "\($0): " } ?? ""
        return "\(location)\(path): \(message)"
    }
}
