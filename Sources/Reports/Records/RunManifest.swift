import Foundation
import StrictJSON

/// `OUT/run.json`: what ran, with what, where and when; the provenance every report carries.
/// Written when the run starts (with `endedAt` and `counts` null, so an interrupted run still
/// says what it was) and again when it ends.
public struct RunManifest: Sendable, Equatable, Codable {
    public struct Tool: Sendable, Equatable, Codable {
        public var name: String
        public var version: String

        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
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

        public init(file: String, name: String, sha256: String, resolved: JSONValue) {
            self.file = file
            self.name = name
            self.sha256 = sha256
            self.resolved = resolved
        }
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

        public init(stage: String, name: String, version: String, folder: String,
                    sha256: String, outputs: [String]) {
            self.stage = stage
            self.name = name
            self.version = version
            self.folder = folder
            self.sha256 = sha256
            self.outputs = outputs
        }
    }

    public struct Shard: Sendable, Equatable, Codable {
        public var index: Int
        public var count: Int

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }
    }

    public struct Counts: Sendable, Equatable, Codable {
        /// Cases of this run (of this shard when sharded).
        public var cases: Int
        public var ok: Int
        public var failed: Int
        /// Cases whose complete results from an earlier identical run were kept.
        public var skipped: Int

        public init(cases: Int, ok: Int, failed: Int, skipped: Int) {
            self.cases = cases
            self.ok = ok
            self.failed = failed
            self.skipped = skipped
        }
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

    public init(tool: Tool, pipeline: Pipeline, models: [Model], inputs: [String], host: String,
                startedAt: String, endedAt: String? = nil, shard: Shard? = nil,
                counts: Counts? = nil) {
        self.tool = tool
        self.pipeline = pipeline
        self.models = models
        self.inputs = inputs
        self.host = host
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.shard = shard
        self.counts = counts
    }

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

    /// Now, as ISO 8601 UTC with seconds (`UTCTimestamp`).
    public static func timestamp(_ date: Date = Date()) -> String {
        UTCTimestamp.string(date)
    }
}
