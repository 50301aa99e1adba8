import ImageCodecs

/// One shard of a batch split over several machines or jobs: this process handles the cases
/// whose stable shard number equals `index`, out of `count` shards numbered from 0.
///
/// A case's shard depends only on its case id and `count` (see `shard(of:count:)`), so every
/// job of an array agrees on the split without talking to the others, a rerun splits the same
/// way, and adding cases to the batch never moves existing ones to another shard.
public struct ShardSelection: Sendable, Equatable, Codable, CustomStringConvertible {
    /// This process's shard, from 0 to `count - 1`.
    public let index: Int
    /// How many shards the batch is split into, at least 1.
    public let count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index),
                     "a shard index must be at least 0 and below the shard count")
        self.index = index
        self.count = count
    }

    /// `INDEX/COUNT`, the form `--shard` takes.
    public var description: String { "\(index)/\(count)" }

    /// Whether the case `caseID` belongs to this shard.
    public func contains(caseID: String) -> Bool {
        Self.shard(of: caseID, count: count) == index
    }

    /// The shard of `caseID` among `count`: the first 8 bytes of the SHA-256 of its UTF-8
    /// bytes, read as a big-endian unsigned integer, modulo `count`.
    ///
    /// The same on every platform and in every run (unlike `Hashable`, which is seeded per
    /// process), and close to uniform, so shards get similar numbers of cases.
    public static func shard(of caseID: String, count: Int) -> Int {
        precondition(count >= 1, "the shard count must be at least 1")
        // The first 16 hex digits of the digest are its first 8 bytes, most significant first.
        let digest = ContentHash.hex(Array(caseID.utf8))
        guard let leading = UInt64(digest.prefix(16), radix: 16) else {
            preconditionFailure("ContentHash.hex always gives 64 hexadecimal digits")
        }
        return Int(leading % UInt64(count))
    }
}
