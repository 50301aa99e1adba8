import StrictJSON

/// Gathers the `ConfigError`s of many independent reads, so that validation reports all of
/// them; any other error is a programming mistake in a reader and stops the process.
struct ProblemCollector {
    var problems: [ConfigError] = []

    /// The object `node` with its unknown keys recorded, or nil when it is not an object.
    mutating func object(_ node: ConfigNode, keys: [String]) -> ConfigObject? {
        var unknown: [ConfigError] = []
        let object = read { try node.object(keys: keys, collecting: &unknown) }
        problems += unknown
        return object
    }

    /// The value `body` reads, or nil after recording its `ConfigError`.
    mutating func read<T>(_ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch let error as ConfigError {
            problems.append(error)
            return nil
        } catch {
            preconditionFailure("config readers throw only ConfigError, got \(error)")
        }
    }
}
