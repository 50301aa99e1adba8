/// A shard selection that cannot be used: which option or environment variable is wrong, and
/// the rule it breaks, worded to follow `equiscan run: `.
public struct ShardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole message, e.g. `--shard "3/3": INDEX must be at least 0 and below COUNT
    /// (here 0 to 2)`.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
