import Canonicalization
import StrictJSON

extension ModelMetadata {
    /// How an orientation model's abstention thresholds were chosen: on its validation scans,
    /// each shown in every pose of the group, the lowest confidence at which the poses acted
    /// on are right at least `targetAccuracy` of the time (`ConfidenceCalibration`).
    public struct PoseCalibration: Codable, Sendable, Equatable {
        /// The accuracy asked of the poses acted on (0.98).
        public var targetAccuracy: Double
        /// Validation cases the thresholds were chosen on: scans × poses.
        public var cases: Int
        /// The rotation threshold (`minConfidence`) and its coverage and selective rotation
        /// accuracy on those cases.
        public var rotation: ConfidenceCalibration.Choice
        /// The mirror threshold (`mirrorMinConfidence`), chosen on the cases whose rotation
        /// was acted on; nil for groups without mirrors.
        public var mirror: ConfidenceCalibration.Choice?

        public init(targetAccuracy: Double, cases: Int, rotation: ConfidenceCalibration.Choice,
                    mirror: ConfidenceCalibration.Choice?) {
            self.targetAccuracy = targetAccuracy
            self.cases = cases
            self.rotation = rotation
            self.mirror = mirror
        }

        /// The metadata form written by the synthesized `encode(to:)`.
        static func parse(_ node: ConfigNode) throws -> Self {
            let object = try node.object(keys: ["targetAccuracy", "cases", "rotation", "mirror"])
            func choice(_ node: ConfigNode) throws -> ConfidenceCalibration.Choice {
                let part = try node.object(keys: ["threshold", "coverage", "selectiveAccuracy",
                                                  "reachesTarget"])
                return ConfidenceCalibration.Choice(
                    threshold: try part.required("threshold").number(in: 0...1),
                    coverage: try part.required("coverage").number(in: 0...1),
                    selectiveAccuracy: try part.required("selectiveAccuracy").number(in: 0...1),
                    reachesTarget: try part.required("reachesTarget").bool())
            }
            return Self(targetAccuracy: try object.required("targetAccuracy").number(in: 0...1),
                        cases: try object.required("cases").integer(atLeast: 1),
                        rotation: try choice(object.required("rotation")),
                        mirror: try object.optional("mirror").map(choice))
        }
    }

    /// The package's abstention policy, with `minConfidence` in place of the calibrated
    /// rotation threshold when given (`--min-confidence`, a stage's `min_confidence`).
    /// Uncalibrated packages never abstain unless told to. A package whose calibration found
    /// no rotation threshold reaching its target accuracy on the validation scans turns
    /// nothing unless told a threshold: its `minConfidence` (the threshold with the best
    /// selective accuracy) is recorded, not acted on.
    public func poseAbstention(minConfidence override: Double? = nil) -> PoseAbstention {
        PoseAbstention(minConfidence: override ?? minConfidence ?? 0,
                       mirrorMinConfidence: mirrorMinConfidence ?? 0,
                       mirrorIdentifiable: mirrorIdentifiable ?? true,
                       rotationIdentifiable: override != nil
                           || calibration?.rotation.reachesTarget ?? true)
    }
}
