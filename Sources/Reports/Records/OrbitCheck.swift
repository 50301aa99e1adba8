/// The rotation-consistency check of one case (`"report": {"orbitCheck": true}`): each model
/// stage run again under every element g of its model's group, on its input image moved by
/// g, and compared with its own prediction. Needs no labels: an equivariant model should give
/// the same answer for every turned and mirrored copy of a scan.
///
/// Elements are named `r<quarter turns>` with `m` appended when mirrored first (`"r0"`,
/// `"r3m"`), as `equiscan evaluate` names them.
public struct OrbitCheck: Sendable, Equatable, Codable {
    /// One model stage's orbit.
    public struct Stage: Sendable, Equatable, Codable {
        /// The stage (`"1 Classify"`).
        public var stage: String
        /// The model's group (`"C4"` or `"D4"`).
        public var group: String
        /// Classifiers: every element gave the same label. Segmenters: every element's mask,
        /// turned back, has a Dice of at least the pipeline's `orbitMinDice` with the
        /// untransformed one.
        public var consistent: Bool
        /// Classifiers: the label predicted under each element.
        public var labels: [String: String]?
        /// Classifiers: the largest, over classes, of max − min of the class probability
        /// across the elements (0 for an exactly invariant model).
        public var probabilitySpread: Double?
        /// Segmenters: per element, the mean over foreground labels present in either mask of
        /// the Dice between the element's mask turned back and the untransformed mask (1 when
        /// neither has foreground). The identity element scores 1.
        public var dice: [String: Double]?
        /// Segmenters: the smallest of `dice`.
        public var minDice: Double?

        public init(stage: String, group: String, consistent: Bool,
                    labels: [String: String]? = nil, probabilitySpread: Double? = nil,
                    dice: [String: Double]? = nil, minDice: Double? = nil) {
            self.stage = stage
            self.group = group
            self.consistent = consistent
            self.labels = labels
            self.probabilitySpread = probabilitySpread
            self.dice = dice
            self.minDice = minDice
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(stage, forKey: .stage)
            try container.encode(group, forKey: .group)
            try container.encode(consistent, forKey: .consistent)
            try container.encode(labels, forKey: .labels)
            try container.encode(probabilitySpread, forKey: .probabilitySpread)
            try container.encode(dice, forKey: .dice)
            try container.encode(minDice, forKey: .minDice)
        }
    }

    /// Every checked stage was consistent: when false, the case is flagged for review.
    public var consistent: Bool
    /// Seconds the extra predictions took.
    public var seconds: Double
    public var stages: [Stage]

    public init(stages: [Stage], seconds: Double) {
        self.stages = stages
        self.seconds = seconds
        consistent = stages.allSatisfy(\.consistent)
    }

    /// The largest probability spread of the classifier stages; nil without one.
    public var probabilitySpread: Double? {
        stages.compactMap(\.probabilitySpread).max()
    }

    /// The smallest Dice of the segmenter stages; nil without one.
    public var minDice: Double? {
        stages.compactMap(\.minDice).min()
    }
}
