import Reports
import StrictJSON

extension PipelineSpec {
    /// Keys of the `report` object.
    static let reportKeys = ["orbitCheck", "orbitMinDice", "thumbnailSize"]

    /// The `report` object: every key optional, unknown keys refused with a did-you-mean.
    /// `orbitMinDice` applies only with `"orbitCheck": true`, and the check needs a stage to
    /// check (`Classify` or `Segment`), so either mistake is a problem rather than a setting
    /// that silently does nothing.
    static func parseReport(_ node: ConfigNode?, stages: [StageSpec],
                            _ collector: inout ProblemCollector) -> ReportSettings {
        var settings = ReportSettings.defaults
        guard let node, let object = collector.object(node, keys: reportKeys) else {
            return settings
        }
        if let value = object.optional("orbitCheck").flatMap({ member in
            collector.read { try member.bool() }
        }) {
            settings.orbitCheck = value
        }
        if let value = object.optional("orbitMinDice").flatMap({ member in
            collector.read { try member.number(in: 0...1) }
        }) {
            settings.orbitMinDice = value
        }
        if let value = object.optional("thumbnailSize").flatMap({ member in
            collector.read { try member.integer(in: ReportSettings.thumbnailSizes) }
        }) {
            settings.thumbnailSize = value
        }
        if object.contains("orbitMinDice"), !settings.orbitCheck,
           object.optional("orbitCheck").map({ $0.value == .bool(false) }) ?? true {
            collector.problems.append(object.error(
                at: "orbitMinDice", "applies only with \"orbitCheck\": true"))
        }
        if settings.orbitCheck, !stages.contains(where: { $0.op.isOrbitChecked }) {
            collector.problems.append(object.error(
                at: "orbitCheck", "the orbit check runs Classify and Segment stages under "
                    + "their model's group, and this pipeline has neither"))
        }
        return settings
    }

    /// The pipeline's `report` as the value its orbit settings decide: nil without the orbit
    /// check (report settings then change no case's record), else the two orbit keys.
    var orbitIdentity: JSONValue? {
        guard report.orbitCheck else { return nil }
        return .object([
            ("orbitCheck", .bool(true)),
            ("orbitMinDice", .number(report.orbitMinDice,
                                     literal: ConfigNode.format(report.orbitMinDice))),
        ])
    }
}

extension StageOp {
    /// Model stages the orbit check runs again under every group element.
    var isOrbitChecked: Bool { self == .classify || self == .segment }
}
