import Foundation
import StrictJSON

/// `OUT/run.json`: what ran, with what, where and when. Written when the run starts (with
/// `endedAt` and `counts` null, so an interrupted run still says what it was) and again when
/// it ends.
public struct RunManifest: Sendable, Equatable, Codable {
    public struct Tool: Sendable, Equatable, Codable {
        public var name: String
        public var version: String
    }

    public struct Pipeline: Sendable, Equatable, Codable {
        /// The pipeline file as given.
        public var file: String
        public var name: String
        /// SHA-256 of what decides the results (stages, inputs and outputs as parsed), the
        /// key resumed work is matched on.
        public var sha256: String
        /// The whole pipeline document.
        public var resolved: JSONValue
    }

    public struct Model: Sendable, Equatable, Codable {
        /// The stage using it (`"1 Classify"`).
        public var stage: String
        public var name: String
        public var version: String
        public var folder: String
        /// SHA-256 of the weights (and of the canonicalizer's weights, after a `+`).
        public var sha256: String
        /// Class names (classifiers) or label names (segmenters), in output order.
        public var outputs: [String]
    }

    public struct Shard: Sendable, Equatable, Codable {
        public var index: Int
        public var count: Int
    }

    public struct Counts: Sendable, Equatable, Codable {
        /// Cases of this run (of this shard when sharded).
        public var cases: Int
        public var ok: Int
        public var failed: Int
        /// Cases whose complete results from an earlier identical run were kept.
        public var skipped: Int
    }

    public var tool: Tool
    public var pipeline: Pipeline
    public var models: [Model]
    public var inputs: [String]
    public var host: String
    public var startedAt: String
    public var endedAt: String?
    public var shard: Shard?
    public var counts: Counts?

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tool, forKey: .tool)
        try container.encode(pipeline, forKey: .pipeline)
        try container.encode(models, forKey: .models)
        try container.encode(inputs, forKey: .inputs)
        try container.encode(host, forKey: .host)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(shard, forKey: .shard)
        try container.encode(counts, forKey: .counts)
    }

    /// Now, as ISO 8601 UTC with seconds.
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
