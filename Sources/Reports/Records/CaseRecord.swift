import Foundation

/// What `equiscan run` records for one case at `OUT/results/CASE.json`, and what every report
/// is made from.
///
/// Absent parts are written as `null` (not left out), so every record has the same keys and
/// tools reading them need no special cases.
public struct CaseRecord: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case ok
        case failed
    }

    /// Why a case failed: the stage (`"3 Segment"`, or `"input"` before the first stage) and
    /// the reason, naming the file.
    public struct Failure: Sendable, Equatable, Codable {
        public var stage: String
        public var message: String

        public init(stage: String, message: String) {
            self.stage = stage
            self.message = message
        }
    }

    /// The pose found by `CanonicalizeOrientation`: the scan equals the pose applied to its
    /// canonical form (a left-right mirror when `mirrored`, then `rotation` quarter turns
    /// counter-clockwise).
    public struct Pose: Sendable, Equatable, Codable {
        public var rotation: Int
        public var mirrored: Bool
        /// Softmax margin between the best and the second-best pose (0 = a tie, 1 = certain).
        public var confidence: Double
        /// Whether the confidence fell below the stage's threshold: `rotation` and `mirrored`
        /// are then only the best guess, and nothing was turned.
        public var uncertain: Bool = false
        /// Whether the mirror bit is only a guess (the package cannot identify mirrors, or the
        /// mirror confidence fell below its calibrated threshold): a turned scan had its
        /// rotation undone, not its mirror.
        public var mirrorUncertain: Bool = false
        /// The arbitrary-angle pose of a continuous (EGNN) canonicalizer, counter-clockwise
        /// degrees after the mirror, so that the scan is its canonical form turned by it;
        /// `rotation` is then its nearest quarter turn. Nil for the discrete canonicalizer.
        public var angleDegrees: Double?

        public init(rotation: Int, mirrored: Bool, confidence: Double, uncertain: Bool = false,
                    mirrorUncertain: Bool = false, angleDegrees: Double? = nil) {
            self.rotation = rotation
            self.mirrored = mirrored
            self.confidence = confidence
            self.uncertain = uncertain
            self.mirrorUncertain = mirrorUncertain
            self.angleDegrees = angleDegrees
        }

        /// Reads a pose; `uncertain` and `mirrorUncertain` default to false, so records
        /// written before they existed (a resumed run's ledger, `merge` of older shards) load.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            rotation = try container.decode(Int.self, forKey: .rotation)
            mirrored = try container.decode(Bool.self, forKey: .mirrored)
            confidence = try container.decode(Double.self, forKey: .confidence)
            uncertain = try container.decodeIfPresent(Bool.self, forKey: .uncertain) ?? false
            mirrorUncertain = try container.decodeIfPresent(Bool.self, forKey: .mirrorUncertain)
                ?? false
            angleDegrees = try container.decodeIfPresent(Double.self, forKey: .angleDegrees)
        }

        /// `r<rotation>`, with `m` appended when mirrored (`"r0"`, `"r3m"`): the names
        /// `equiscan evaluate` gives group elements.
        public var name: String { "r\(rotation)" + (mirrored ? "m" : "") }
    }

    /// Areas of the case's final mask by label name.
    public struct Segmentation: Sendable, Equatable, Codable {
        public var areasPx: [String: Int]
        /// Square millimetres, when the scan records its pixel size.
        public var areasMm2: [String: Double]?
        /// The saved mask (relative to the output folder), when a stage saved it.
        public var mask: String?

        public init(areasPx: [String: Int], areasMm2: [String: Double]?, mask: String?) {
            self.areasPx = areasPx
            self.areasMm2 = areasMm2
            self.mask = mask
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(areasPx, forKey: .areasPx)
            try container.encode(areasMm2, forKey: .areasMm2)
            try container.encode(mask, forKey: .mask)
        }
    }

    public var `case`: String
    /// The scan, as the run found it.
    public var input: String
    public var inputSHA256: String
    public var status: Status
    public var error: Failure?
    /// Seconds each stage took, by `"INDEX OP"` (the orbit check's extra predictions are in
    /// `orbit.seconds`, not here).
    public var stageSeconds: [String: Double]
    public var classification: ClassificationOutcome?
    public var pose: Pose?
    public var segmentation: Segmentation?
    /// The rotation-consistency check, when the pipeline's `report.orbitCheck` asks for it and
    /// the case got through its model stages.
    public var orbit: OrbitCheck?
    /// Files written for this case, relative to the output folder.
    public var outputs: [String]

    public init(case id: String, input: String, inputSHA256: String) {
        self.case = id
        self.input = input
        self.inputSHA256 = inputSHA256
        status = .ok
        stageSeconds = [:]
        outputs = []
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.case, forKey: .case)
        try container.encode(input, forKey: .input)
        try container.encode(inputSHA256, forKey: .inputSHA256)
        try container.encode(status, forKey: .status)
        try container.encode(error, forKey: .error)
        try container.encode(stageSeconds, forKey: .stageSeconds)
        try container.encode(classification, forKey: .classification)
        try container.encode(pose, forKey: .pose)
        try container.encode(segmentation, forKey: .segmentation)
        try container.encode(orbit, forKey: .orbit)
        try container.encode(outputs, forKey: .outputs)
    }

    /// Where the record of case `id` lives under the output folder.
    public static func relativePath(forCase id: String) -> String {
        "results/" + id + ".json"
    }

    /// The record without its timings (stage seconds and the orbit check's seconds): what two
    /// runs of the same case, input, pipeline and models agree on.
    public var withoutTimings: CaseRecord {
        var record = self
        record.stageSeconds = [:]
        record.orbit?.seconds = 0
        return record
    }

    /// Seconds the case took: its stages and its orbit check (summed in key order, so the
    /// same record always gives the same total).
    public var seconds: Double {
        stageSeconds.keys.sorted().reduce(0) { $0 + (stageSeconds[$1] ?? 0) }
            + (orbit?.seconds ?? 0)
    }
}

/// A classifier's answer for one case.
public struct ClassificationOutcome: Sendable, Equatable, Codable {
    /// The most probable class.
    public var label: String
    /// Softmax probability by class name.
    public var probabilities: [String: Double]

    public init(label: String, probabilities: [String: Double]) {
        self.label = label
        self.probabilities = probabilities
    }

    /// The probability of the predicted class.
    public var confidence: Double { probabilities[label] ?? 0 }
}
