import StrictJSON

extension PipelineSpec {
    /// Top-level keys of a pipeline file.
    static let keys = ["$schema", "version", "name", "description", "inputs", "stages",
                       "outputs", "limits", "report"]

    /// Reads the document's types and ranges, appending every problem to `problems` rather
    /// than stopping at the first; returns nil when the root is not an object. Stages whose
    /// op is unknown are left out of the result (their problems are recorded).
    static func parse(_ root: ConfigNode, problems: inout [ConfigError]) -> PipelineSpec? {
        var collector = ProblemCollector()
        defer { problems += collector.problems }
        guard let object = collector.object(root, keys: keys) else { return nil }
        let schema = object.optional("$schema").flatMap { node in
            collector.read { try node.string() }
        }
        let version = collector.read { () throws -> Int in
            let node = try object.required("version")
            guard case .number(let value, _) = node.value,
                  value == Double(currentVersion) else {
                throw node.mismatch("\(currentVersion) (the only pipeline format version)")
            }
            return currentVersion
        }
        let name = collector.read { try object.required("name").nonEmptyString() }
        let description = collector.read {
            try object.value("description", default: "") { try $0.string() }
        }
        let inputs = parseInputs(object.optional("inputs"), &collector)
        let outputs = parseOutputs(object.optional("outputs"), &collector)
        var stages: [StageSpec] = []
        if let nodes = collector.read({ try object.required("stages").array() }) {
            if nodes.isEmpty, let node = object.optional("stages") {
                collector.problems.append(node.mismatch("at least one stage"))
            }
            for (index, node) in nodes.enumerated() {
                if let stage = parseStage(node, index: index, &collector) {
                    stages.append(stage)
                }
            }
        }
        let report = parseReport(object.optional("report"), stages: stages, &collector)
        var spec = PipelineSpec(schema: schema, version: version ?? currentVersion,
                                name: name ?? "", description: description ?? "",
                                inputs: inputs, stages: stages, outputs: outputs, report: report)
        if let limits = object.optional("limits"),
           let members = collector.object(limits, keys: ["caseTimeoutSeconds"]),
           let timeout = members.optional("caseTimeoutSeconds") {
            spec.caseTimeoutSeconds = collector.read { try timeout.positiveNumber() }
        }
        return spec
    }

    /// Notes on deprecated keys the document uses (valid, but ignored).
    static func deprecations(_ root: ConfigNode) -> [ConfigError] {
        var ignored: [ConfigError] = []
        guard let object = try? root.object(keys: keys, collecting: &ignored),
              let outputs = try? object.optional("outputs")?.object(keys: [],
                                                                     collecting: &ignored),
              let formats = outputs.optional("formats") else { return [] }
        return [formats.error("is deprecated and ignored: every run writes its records as "
                              + "JSON and reports/predictions.csv; remove the key")]
    }

    static func parseInputs(_ node: ConfigNode?,
                            _ collector: inout ProblemCollector) -> InputSelection {
        var selection = InputSelection(include: InputSelection.defaultInclude, exclude: [])
        guard let node,
              let object = collector.object(node, keys: ["include", "exclude", "naming"])
        else { return selection }
        if let include = object.optional("include"),
           let patterns = parsePatterns(include, allowEmpty: false, &collector) {
            selection.include = patterns
        }
        if let exclude = object.optional("exclude"),
           let patterns = parsePatterns(exclude, allowEmpty: true, &collector) {
            selection.exclude = patterns
        }
        if let naming = object.optional("naming").flatMap({ naming in
            collector.read { try naming.choice(InputSelection.Naming.self) }
        }) {
            selection.naming = naming
        }
        return selection
    }

    static func parsePatterns(_ node: ConfigNode, allowEmpty: Bool,
                              _ collector: inout ProblemCollector) -> [String]? {
        guard let items = collector.read({ try node.array() }) else { return nil }
        if items.isEmpty, !allowEmpty {
            collector.problems.append(node.mismatch("a non-empty array of glob patterns"))
            return nil
        }
        let patterns = items.compactMap { item in
            collector.read { () throws -> String in
                let pattern = try item.nonEmptyString()
                guard !pattern.hasPrefix("/") else {
                    throw item.mismatch("a glob relative to the input folder")
                }
                return pattern
            }
        }
        return patterns.count == items.count ? patterns : nil
    }

    static func parseOutputs(_ node: ConfigNode?,
                             _ collector: inout ProblemCollector) -> OutputSpec {
        var outputs = OutputSpec.defaults
        guard let node, let object = collector.object(node, keys: ["layout", "formats"])
        else { return outputs }
        if let layout = object.optional("layout").flatMap({ layout in
            collector.read { try layout.choice(OutputSpec.Layout.self) }
        }) {
            outputs.layout = layout
        }
        if let formats = object.optional("formats"),
           let items = collector.read({ try formats.array(count: 1...2) }) {
            let parsed = items.compactMap { item in
                collector.read { try item.choice(OutputSpec.RecordFormat.self) }
            }
            if parsed.count == items.count { outputs.formats = parsed }
        }
        return outputs
    }

    /// One stage; nil when it is not an object or its op is missing or unknown.
    static func parseStage(_ node: ConfigNode, index: Int,
                           _ collector: inout ProblemCollector) -> StageSpec? {
        guard case .object = node.value else {
            collector.problems.append(node.mismatch("a stage object with an \"op\""))
            return nil
        }
        guard let op = collector.read({ () throws -> StageOp in
            // Unknown keys are reported below, once the op says which keys exist.
            var later: [ConfigError] = []
            let opNode = try node.object(keys: ["op"], collecting: &later).required("op")
            let name = try opNode.string()
            guard let op = StageOp(rawValue: name) else {
                let names = StageOp.allCases.map(\.rawValue)
                if let close = ConfigNode.closest(to: name, in: names) {
                    throw opNode.error("unknown op \(JSONValue.escape(name)) (did you mean "
                                       + "\(JSONValue.escape(close))?)")
                }
                throw opNode.error("unknown op \(JSONValue.escape(name)); ops: "
                                   + names.joined(separator: ", "))
            }
            return op
        }) else { return nil }
        let keys = ["op", "id", "input"] + op.parameters.map(\.name)
        guard let object = collector.object(node, keys: keys) else { return nil }
        let id = object.optional("id").flatMap { idNode in
            collector.read { () throws -> String in
                let id = try idNode.nonEmptyString()
                guard isIdentifier(id) else {
                    throw idNode.mismatch("an id of letters, digits, '-' and '_'")
                }
                return id
            }
        }
        let input = object.optional("input").flatMap { inputNode in
            collector.read { () throws -> String in
                let reference = try inputNode.string()
                guard reference.hasPrefix("@"), isIdentifier(String(reference.dropFirst()))
                else {
                    throw inputNode.mismatch("a reference \"@id\" to an earlier stage")
                }
                return String(reference.dropFirst())
            }
        }
        var parameters: [String: StageValue] = [:]
        for parameter in op.parameters {
            guard let member = object.optional(parameter.name) else {
                if parameter.isRequired {
                    _ = collector.read { try object.required(parameter.name) }
                } else if let value = parameter.defaultValue {
                    parameters[parameter.name] = value
                }
                continue
            }
            if let value = collector.read({ try parameter.kind.read(member) }) {
                parameters[parameter.name] = value
            }
        }
        let stage = StageSpec(index: index, op: op, id: id, input: input,
                              parameters: parameters, node: node)
        checkRules(stage, object, &collector)
        return stage
    }

    /// Rules across the parameters of one stage.
    static func checkRules(_ stage: StageSpec, _ object: ConfigObject,
                           _ collector: inout ProblemCollector) {
        func number(_ key: String) -> Double? {
            if case .number(let value)? = stage.parameters[key] { return value }
            return nil
        }
        switch stage.op {
        case .scaleIntensityRange:
            if let low = number("a_min"), let high = number("a_max"), high <= low,
               let node = object.optional("a_max") {
                collector.problems.append(node.mismatch(
                    "a number greater than a_min (\(ConfigNode.format(low)))"))
            }
        case .normalizeIntensity:
            let explicit = object.contains("lower") || object.contains("upper")
            if explicit, stage.string("mode") != "percentile" {
                collector.problems.append(object.error(
                    at: object.contains("lower") ? "lower" : "upper",
                    "lower and upper apply only to \"mode\": \"percentile\""))
            } else if let low = number("lower"), let high = number("upper"), high <= low,
                      let node = object.optional("upper") {
                collector.problems.append(node.mismatch(
                    "a percentile greater than lower (\(ConfigNode.format(low)))"))
            }
        case .asDiscrete:
            // A key whose value was refused has its own problem already.
            let refused = ["argmax", "threshold"].contains {
                object.contains($0) && stage.parameters[$0] == nil
            }
            let argmax = stage.parameters["argmax"] == .boolean(true)
            let threshold = stage.parameters["threshold"] != nil
            if !refused, argmax == threshold {
                collector.problems.append(object.error(argmax
                    ? "give either \"argmax\": true or \"threshold\", not both"
                    : "needs \"argmax\": true or a \"threshold\" from 0 to 1"))
            }
        default:
            break
        }
    }

    /// Letters, digits, `-` and `_`, not empty.
    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-"
                                                         || $0 == "_") }
    }
}
