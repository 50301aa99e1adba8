/// `reports/summary.json`: the batch at a glance, for programs.
///
/// Parts that a run's pipeline has no stage for are `null` (the class distribution without a
/// classifier, areas without a segmenter, poses without a canonicalizer, `orbit` without the
/// check). Only `ok` cases count towards distributions; timings cover every case that
/// reached the stage.
public struct ReportSummary: Sendable, Equatable, Codable {
    public struct Counts: Sendable, Equatable, Codable {
        /// Cases with a record.
        public var cases: Int
        public var ok: Int
        public var failed: Int
        /// Cases whose pose is uncertain (its confidence below the canonicalizing stage's
        /// `min_confidence`: the scan was not turned).
        public var poseUncertain: Int
        /// Cases whose mirror bit is uncertain (the package cannot identify mirrors, or the
        /// mirror confidence was below its threshold: the mirror was not undone).
        public var poseMirrorUncertain: Int
        /// Cases the orbit check found inconsistent (flagged for review).
        public var flagged: Int
    }

    public struct Areas: Sendable, Equatable, Codable {
        /// Per label, in pixels.
        public var px: [String: Distribution]
        /// Per label, in mm², over the cases whose scans record their pixel size; null when
        /// none does.
        public var mm2: [String: Distribution]?

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(px, forKey: .px)
            try container.encode(mm2, forKey: .mm2)
        }
    }

    public struct Orbit: Sendable, Equatable, Codable {
        /// Cases with an orbit record.
        public var checked: Int
        public var consistent: Int
        /// Ids of the inconsistent cases, sorted.
        public var inconsistent: [String]
    }

    public var counts: Counts
    /// Predicted label → cases, every class of the classifier listed.
    public var classes: [String: Int]?
    /// The predicted class's probability.
    public var confidence: Distribution?
    public var areas: Areas?
    /// Pose name (`r0` … `r3m`) → cases, all eight listed.
    public var poses: [String: Int]?
    /// Seconds per stage (`"2 Segment"`), the orbit check (`"orbit"`) and whole cases
    /// (`"case"`).
    public var timing: [String: Timing]
    public var orbit: Orbit?
    /// Where the run came from: its `run.json` (tool, pipeline and its document, models,
    /// inputs, host, times, shard, the last run's own counts).
    public var provenance: RunManifest

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(counts, forKey: .counts)
        try container.encode(classes, forKey: .classes)
        try container.encode(confidence, forKey: .confidence)
        try container.encode(areas, forKey: .areas)
        try container.encode(poses, forKey: .poses)
        try container.encode(timing, forKey: .timing)
        try container.encode(orbit, forKey: .orbit)
        try container.encode(provenance, forKey: .provenance)
    }
}
