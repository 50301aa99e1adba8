import Foundation
import ModelRuntime
import SafeFiles
import StrictJSON

extension TrainingConfig {
    /// Parses and validates training JSON. Never reads data or starts work; the first problem
    /// found is thrown as a `ConfigError` naming file, line, column and JSON pointer and
    /// quoting the value (`train.json:9:40 /training/epochs expected …, got 2.5`).
    public static func parse(_ text: String, file: String? = nil) throws -> TrainingConfig {
        try JSONDocument.parse(text, file: file).read(parse)
    }

    /// Reads and validates a training config file.
    public static func load(path: String) throws -> TrainingConfig {
        try loadWithText(path: path).config
    }

    /// Reads and validates a training config file; also returns its text as read, which a
    /// trained package keeps beside its weights.
    public static func loadWithText(path: String) throws -> (config: TrainingConfig,
                                                             text: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            var error = ConfigError(path: .root, message: "cannot read the config file (check "
                                    + "that the path exists and is a readable file)", file: path)
            error.isUnreadableFile = true
            throw error
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: .root, message: "the config file is not UTF-8 text",
                              file: path)
        }
        return (try parse(text, file: path), text)
    }

    static func parse(_ root: ConfigNode) throws -> TrainingConfig {
        let object = try root.object(keys: ["name", "version", "description", "task", "seed",
                                            "data", "input", "model", "augmentation",
                                            "training"])
        let nameNode = try object.required("name")
        let name = try nameNode.nonEmptyString()
        let allowed = name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        guard allowed, !name.hasPrefix(".") else {
            throw nameNode.mismatch("a name of letters, digits, '-', '_' and '.'")
        }
        let version = try object.value("version", default: "1.0.0") { try $0.nonEmptyString() }
        let description = try object.value("description", default: "") { try $0.string() }
        let task = try object.required("task").choice(TrainingTask.self)
        let seed = try object.value("seed", default: 0) { try $0.unsignedInteger() }
        let data = try DataSpec.parse(object.required("data"), task: task)
        let input = try InputSpec.parse(object.required("input"))
        let model = try ModelSpec.parse(object.required("model"), task: task)
        let augmentation = try object.value("augmentation", default: AugmentationSpec.none) {
            try AugmentationSpec.parse($0, input: input)
        }
        let training = try OptimizationSpec.parse(object.required("training"), task: task)
        let config = TrainingConfig(name: name, version: version, description: description,
                                    task: task, seed: seed, data: data, input: input,
                                    model: model, augmentation: augmentation,
                                    training: training)
        try config.checkConsistency(root: object)
        return config
    }

    /// Rules that involve several sections.
    func checkConsistency(root: ConfigObject) throws {
        let modelPath = root.path.appending("model")
        if model.viewGammas != nil {
            switch input.normalization {
            case .minMax, .percentile: break
            default:
                throw ConfigError(path: modelPath.appending("viewGammas"),
                                  message: "intensity exponents need /input/normalization "
                                  + "minMax or percentile (scans mapped onto [0, 1])")
            }
        }
        if model.kind == .unet {
            let factor = 1 << model.depth
            let size = augmentation.crop ?? [input.width, input.height]
            for (value, axis) in zip(size, ["width", "height"]) where value % factor != 0 {
                let where_ = augmentation.crop == nil ? "/input/\(axis)" : "/augmentation/crop"
                throw ConfigError(path: modelPath.appending("depth"),
                                  message: "a U-Net of depth \(model.depth) needs sizes divisible "
                                  + "by \(factor), but \(where_) is \(value)")
            }
        }
        let square = augmentation.crop.map { $0[0] == $0[1] } ?? (input.width == input.height)
        if augmentation.groupElements, !square {
            throw ConfigError(path: root.path.appending("augmentation").appending("groupElements"),
                              message: "quarter turns need square images: set input width and "
                              + "height equal or give a square /augmentation/crop")
        }
        if model.kind != .unet {
            let factor = 1 << model.depth
            // A canonicalizer resizes every crop to the input size before scoring.
            let crop = model.kind == .canonicalizer ? nil : augmentation.crop
            let size = crop ?? [input.width, input.height]
            for (value, axis) in zip(size, ["width", "height"]) where value % factor != 0 {
                let where_ = crop == nil ? "/input/\(axis)" : "/augmentation/crop"
                throw ConfigError(path: modelPath.appending("depth"),
                                  message: "\(model.depth) pooling steps need sizes divisible by "
                                  + "\(factor), but \(where_) is \(value)")
            }
        }
        if model.canonicalizer != nil, !square || input.width != input.height {
            throw ConfigError(path: modelPath.appending("canonicalizer"),
                              message: "canonicalization needs square images, but input is "
                              + "\(input.width)×\(input.height)"
                              + (augmentation.crop.map { " and /augmentation/crop \($0)" } ?? ""))
        }
        if task == .orientation, case .window = input.normalization {
            throw ConfigError(path: root.path.appending("input").appending("normalization"),
                              message: "orientation models normalise each scan on its own: use "
                              + "\"none\", \"minMax\", \"zScore\" or \"percentile\"")
        }
        if task == .orientation, input.width != input.height {
            throw ConfigError(path: root.path.appending("input").appending("height"),
                              message: "orientation models need square input, but width is "
                              + "\(input.width) and height \(input.height)")
        }
        if case .explicit(let weights) = training.classWeights {
            let count = task == .classification ? data.classes.count : data.labels.count
            if count > 0, weights.count != count {
                throw ConfigError(path: root.path.appending("training").appending("classWeights"),
                                  message: "expected \(count) weights (one per class), got "
                                  + "\(weights.count)")
            }
        }
    }
}

extension DataSpec {
    static func parse(_ node: ConfigNode, task: TrainingTask) throws -> DataSpec {
        let object = try node.object(keys: ["train", "validation", "validationFraction",
                                            "test", "testFraction", "groupPattern", "groupBlock",
                                            "splitSeed", "pixelSpacing", "format",
                                            "classes", "labels", "cache", "repeats"])
        func sources(_ key: String, required: Bool) throws -> [String] {
            guard let sourceNode = object.optional(key) else {
                if required {
                    throw ConfigError(path: node.path.appending(key),
                                      message: "missing required key")
                }
                return []
            }
            if case .array = sourceNode.value {
                guard task == .orientation else {
                    throw sourceNode.mismatch("one folder path (a list is for orientation data)")
                }
                let items = try sourceNode.array()
                guard !items.isEmpty else { throw sourceNode.mismatch("a non-empty list") }
                return try items.map { try $0.nonEmptyString() }
            }
            return [try sourceNode.nonEmptyString()]
        }
        let train = try sources("train", required: true)
        let validation = try sources("validation", required: false)
        let test = try sources("test", required: false)
        /// The held-out share `key`, refused beside the sources it stands in for.
        func fraction(_ key: String, besides sourceKey: String, given: Bool) throws -> Double? {
            guard let fractionNode = object.optional(key) else { return nil }
            if given {
                throw fractionNode.error("not allowed together with \"\(sourceKey)\" folders")
            }
            guard case .number(let x, _) = fractionNode.value, x > 0, x < 1 else {
                throw fractionNode.mismatch("a fraction between 0 and 1 (exclusive)")
            }
            return x
        }
        let validationFraction = try fraction("validationFraction", besides: "validation",
                                              given: !validation.isEmpty) ?? 0.2
        let testFraction = try fraction("testFraction", besides: "test", given: !test.isEmpty)
        if let testFraction, validation.isEmpty, validationFraction + testFraction >= 1,
           let testNode = object.optional("testFraction") {
            throw testNode.mismatch("a test share that leaves training cases: validationFraction "
                                    + "+ testFraction below 1")
        }
        let groupPattern = try object.optional("groupPattern").map { patternNode in
            let pattern = try patternNode.nonEmptyString()
            guard let regex = try? NSRegularExpression(pattern: pattern) else {
                throw patternNode.mismatch("a regular expression (ICU syntax)")
            }
            guard regex.numberOfCaptureGroups >= 1 else {
                throw patternNode.mismatch("a regular expression with a capture group, whose "
                                           + "match is the source id, e.g. \"^(.*)_slice\\\\d+\"")
            }
            return pattern
        }
        let groupBlock = try object.optional("groupBlock").map { blockNode in
            guard groupPattern != nil else {
                throw blockNode.error("needs a \"groupPattern\" whose capture group is a "
                                      + "number, e.g. \"^(\\\\d+)\"")
            }
            return try blockNode.integer(in: 1...1_000_000)
        }
        let splitSeed = try object.optional("splitSeed").map { try $0.unsignedInteger() }
        let pixelSpacing = try object.optional("pixelSpacing").map { spacingNode in
            let values = try ModelMetadata.TrainingDataSummary.parsePixelSpacing(spacingNode)
            guard task == .segmentation else {
                throw spacingNode.error("a pixel spacing is for segmentation data (HD95 in mm)")
            }
            return values
        }
        let format = try object.value("format", default: ClassificationFormat.folders) {
            guard task == .classification else {
                throw $0.error("only classification data has a format")
            }
            return try $0.choice(ClassificationFormat.self)
        }
        let classes = try object.value("classes", default: [String]()) { classNode in
            guard task == .classification else {
                throw classNode.error("classes are for classification; segmentation uses "
                                      + "\"labels\"")
            }
            return try classNode.distinctNames(atLeast: 2, "class name")
        }
        var labels: [LabelClass] = []
        if task == .segmentation {
            let labelsNode = try object.required("labels")
            let items = try labelsNode.array()
            guard items.count >= 2 else { throw labelsNode.mismatch("at least 2 labels") }
            var seenValues = Set<Int>()
            var seenNames = Set<String>()
            for item in items {
                let entry = try item.object(keys: ["name", "value", "values"])
                let nameNode = try entry.required("name")
                let name = try nameNode.nonEmptyString()
                guard seenNames.insert(name).inserted else {
                    throw nameNode.error("duplicate label name \(JSONValue.escape(name))")
                }
                var values: [Int] = []
                if let valueNode = entry.optional("value") {
                    if entry.contains("values") {
                        throw valueNode.error("give either \"value\" or \"values\", not both")
                    }
                    values = [try valueNode.integer(in: 0...65535)]
                } else {
                    let valuesNode = try entry.optional("values") ?? {
                        throw ConfigError(path: item.path.appending("value"),
                                          message: "missing required key")
                    }()
                    let valueItems = try valuesNode.array()
                    guard !valueItems.isEmpty else {
                        throw valuesNode.mismatch("a non-empty list of pixel values")
                    }
                    values = try valueItems.map { try $0.integer(in: 0...65535) }
                }
                for (index, value) in values.enumerated() where !seenValues.insert(value).inserted {
                    let path = entry.contains("value") ? item.path.appending("value")
                        : item.path.appending("values").appending(index)
                    throw ConfigError(path: path,
                                      message: "pixel value \(value) already belongs to another "
                                      + "label")
                }
                labels.append(LabelClass(name: name, values: values))
            }
        } else if let labelsNode = object.optional("labels") {
            throw labelsNode.error("labels are for segmentation data")
        }
        let cache = try object.value("cache", default: CachePolicy.auto) {
            try $0.choice(CachePolicy.self)
        }
        let repeats = try object.value("repeats", default: 1) { try $0.integer(in: 1...1000) }
        return DataSpec(train: train, validation: validation,
                        validationFraction: validationFraction, test: test,
                        testFraction: testFraction, groupPattern: groupPattern,
                        groupBlock: groupBlock, splitSeed: splitSeed,
                        pixelSpacing: pixelSpacing, format: format,
                        classes: classes, labels: labels, cache: cache, repeats: repeats)
    }
}

extension ModelSpec {
    static func parse(_ node: ConfigNode, task: TrainingTask) throws -> ModelSpec {
        let object = try node.object(keys: ["kind", "group", "width", "depth", "kernelSize",
                                            "dropout", "fields", "canonicalizer", "views",
                                            "viewGammas"])
        let kindNode = try object.required("kind")
        let kind = try kindNode.choice(Kind.self)
        let expected: Kind = task == .classification ? .p4cnn
            : task == .segmentation ? .unet : .canonicalizer
        guard kind == expected else {
            throw kindNode.mismatch("\"\(expected.rawValue)\" for a \(task.rawValue) task")
        }
        let group = try object.value("group", default: GroupName.d4) {
            try $0.choice(GroupName.self)
        }
        let width = try object.value("width", default: 8) { try $0.integer(in: 1...256) }
        let fields = try object.optional("fields").map { fieldsNode -> [Int] in
            guard kind == .canonicalizer else {
                throw fieldsNode.error("fields (one count per scorer layer) are a canonicalizer "
                                       + "setting; use width and depth")
            }
            return try fieldsNode.array(count: 2...9).map { try $0.integer(in: 1...256) }
        }
        let views = try object.optional("views").map { viewsNode -> [Double] in
            guard kind == .canonicalizer else {
                throw viewsNode.error("views (centre crops the scorer scores) are a "
                                      + "canonicalizer setting")
            }
            let views = try ModelSpec.parseViewRatios(viewsNode)
            guard Set(views).count == views.count else {
                throw viewsNode.mismatch("distinct crop ratios")
            }
            return views
        }
        let viewGammas = try object.optional("viewGammas").map { gammasNode -> [Double] in
            guard kind == .canonicalizer else {
                throw gammasNode.error("viewGammas (intensity exponents of the views the scorer "
                                       + "scores) are a canonicalizer setting")
            }
            return try ModelSpec.parseViewGammas(gammasNode)
        }
        let defaultDepth = fields.map { $0.count - 1 } ?? (kind == .unet ? 2 : 3)
        let depth = try object.value("depth", default: defaultDepth) { depthNode in
            let depth = try depthNode.integer(in: 1...(kind == .unet ? 5 : 8))
            if let fields, depth > fields.count - 1 {
                throw depthNode.mismatch("at most \(fields.count - 1) pooling steps (one per "
                                         + "hidden layer of the \(fields.count) fields)")
            }
            return depth
        }
        let kernelSize = try object.value("kernelSize", default: 3) { kernelNode in
            let k = try kernelNode.integer(in: 1...9)
            guard k % 2 == 1 else {
                throw kernelNode.mismatch("an odd kernel size (1, 3, 5, 7, 9)")
            }
            return k
        }
        let dropout = try object.value("dropout", default: 0) { dropoutNode -> Double in
            guard case .number(let p, _) = dropoutNode.value, p >= 0, p < 1 else {
                throw dropoutNode.mismatch("a probability from 0 up to (not including) 1")
            }
            return p
        }
        var canonicalizer: CanonicalizerSpec?
        if let canonicalizerNode = object.optional("canonicalizer") {
            guard kind != .canonicalizer else {
                throw canonicalizerNode.error("a canonicalizer in front applies to \"p4cnn\" and "
                                              + "\"unet\" models only")
            }
            canonicalizer = try CanonicalizerSpec.parse(canonicalizerNode)
        }
        return ModelSpec(kind: kind, group: group, width: width, depth: depth,
                         kernelSize: kernelSize, dropout: dropout, canonicalizer: canonicalizer,
                         fields: fields, views: views, viewGammas: viewGammas)
    }
}

extension CanonicalizerSpec {
    static func parse(_ node: ConfigNode) throws -> CanonicalizerSpec {
        let object = try node.object(keys: ["group", "fields", "inputSize", "priorWeight",
                                            "beta"])
        let group = try object.value("group", default: GroupName.d4) {
            try $0.choice(GroupName.self)
        }
        let fields = try object.value("fields", default: [8, 8, 8]) { fieldsNode in
            try fieldsNode.array(count: 2...8).map { try $0.integer(in: 1...256) }
        }
        let inputSizeNode = object.optional("inputSize")
        let inputSize = try inputSizeNode.map { try $0.integer(in: 1...1024) } ?? 32
        let tile = 1 << (fields.count - 1)
        guard inputSize % tile == 0 else {
            let message = "inputSize \(inputSize) must be a multiple of \(tile) (2^pooling steps, "
                + "one per layer but the last of \(fields.count))"
            if let inputSizeNode { throw inputSizeNode.error(message) }
            throw ConfigError(path: object.path.appending("inputSize"), message: message)
        }
        let priorWeight = try object.value("priorWeight", default: 100) { weightNode in
            guard case .number(let w, _) = weightNode.value, w >= 0, w.isFinite else {
                throw weightNode.mismatch("a finite number ≥ 0")
            }
            return w
        }
        let beta = try object.value("beta", default: 1) { betaNode in
            guard case .number(let b, _) = betaNode.value, b > 0, b.isFinite else {
                throw betaNode.mismatch("a finite number > 0")
            }
            return b
        }
        return CanonicalizerSpec(group: group, fields: fields, inputSize: inputSize,
                                 priorWeight: priorWeight, beta: beta)
    }
}

extension AugmentationSpec {
    static func parse(_ node: ConfigNode, input: InputSpec) throws -> AugmentationSpec {
        let object = try node.object(keys: ["groupElements", "flips", "crop", "brightness",
                                            "contrast", "gamma", "invert", "noise", "elastic",
                                            "zoom"])
        let groupElements = try object.value("groupElements", default: false) { try $0.bool() }
        let flips = try object.value("flips", default: false) { try $0.bool() }
        let crop = try object.optional("crop").map { cropNode -> [Int] in
            let items = try cropNode.array(count: 2...2)
            let size = try items.map { try $0.integer(in: 4...4096) }
            let limits = [input.width, input.height]
            for axis in 0..<2 where size[axis] > limits[axis] {
                throw items[axis].mismatch("a crop \(axis == 0 ? "width" : "height") no larger "
                                           + "than the input (\(limits[axis]))")
            }
            return size
        }
        let brightness = try object.value("brightness", default: 0) { try $0.number(in: 0...1) }
        let contrast = try object.value("contrast", default: 0) { try $0.number(in: 0...0.9) }
        let gamma = try object.value("gamma", default: 0) { try $0.number(in: 0...4) }
        let invert = try object.value("invert", default: 0) { try $0.number(in: 0...1) }
        let noise = try object.value("noise", default: 0) { try $0.number(in: 0...1) }
        return AugmentationSpec(groupElements: groupElements, flips: flips, crop: crop,
                                brightness: brightness, contrast: contrast, gamma: gamma,
                                invert: invert, noise: noise,
                                elastic: try object.optional("elastic").map {
                                    try ElasticSpec.parse($0)
                                },
                                zoom: try object.optional("zoom").map(parseZoom))
    }
}

extension OptimizationSpec {
    static func parse(_ node: ConfigNode, task: TrainingTask) throws -> OptimizationSpec {
        let object = try node.object(keys: ["epochs", "batchSize", "optimizer", "schedule",
                                            "gradientClipNorm", "loss", "classWeights",
                                            "earlyStopping"])
        let epochs = try object.required("epochs").integer(in: 1...100_000)
        let batchSize = try object.value("batchSize", default: 16) { try $0.integer(in: 1...4096) }

        let optimizerNode = try object.required("optimizer")
        let optimizer = try optimizerNode.object(keys: ["kind", "learningRate", "momentum",
                                                        "weightDecay"])
        let optimizerKind = try optimizer.required("kind").choice(OptimizerKind.self)
        let learningRate = try optimizer.required("learningRate").positiveNumber()
        let momentum = try optimizer.value("momentum", default: optimizerKind == .sgd ? 0.9 : 0) {
            momentumNode in
            guard optimizerKind == .sgd else {
                throw momentumNode.error("momentum is an SGD setting (Adam uses fixed betas)")
            }
            guard case .number(let m, _) = momentumNode.value, m >= 0, m < 1 else {
                throw momentumNode.mismatch("a number from 0 up to (not including) 1")
            }
            return m
        }
        let weightDecay = try optimizer.value("weightDecay", default: 0) {
            try $0.nonNegativeNumber()
        }

        var schedule = ScheduleKind.constant
        var warmup = 0
        var stepEpochs = 10
        var gamma = 0.1
        var minimumRate = 0.0
        if let scheduleNode = object.optional("schedule") {
            let s = try scheduleNode.object(keys: ["kind", "warmupEpochs", "stepEpochs", "gamma",
                                                   "minimumLearningRate"])
            schedule = try s.required("kind").choice(ScheduleKind.self)
            warmup = try s.value("warmupEpochs", default: 0) { try $0.integer(atLeast: 0) }
            if warmup >= epochs, let w = s.optional("warmupEpochs") {
                throw w.mismatch("fewer warm-up epochs than training.epochs (\(epochs))")
            }
            for key in ["stepEpochs", "gamma"] where schedule != .step {
                if let extra = s.optional(key) {
                    throw extra.error("only used by the \"step\" schedule")
                }
            }
            if schedule != .cosine, let extra = s.optional("minimumLearningRate") {
                throw extra.error("only used by the \"cosine\" schedule")
            }
            stepEpochs = try s.value("stepEpochs", default: 10) { try $0.integer(atLeast: 1) }
            gamma = try s.value("gamma", default: 0.1) { gammaNode -> Double in
                guard case .number(let g, _) = gammaNode.value, g > 0, g <= 1 else {
                    throw gammaNode.mismatch("a factor in (0, 1]")
                }
                return g
            }
            minimumRate = try s.value("minimumLearningRate", default: 0) { minNode -> Double in
                let m = try minNode.nonNegativeNumber()
                guard m < learningRate else {
                    throw minNode.mismatch("a rate below the learning rate "
                                           + "(\(ConfigNode.format(learningRate)))")
                }
                return m
            }
        }

        let clip = try object.optional("gradientClipNorm").map { try $0.positiveNumber() }
        let loss = try object.value("loss", default: LossKind.crossEntropy) { lossNode in
            let kind = try lossNode.choice(LossKind.self)
            switch (kind, task) {
            case (.crossEntropy, _), (.dice, .segmentation), (.crossEntropyDice, .segmentation),
                 (.rotationCrossEntropy, .orientation):
                return kind
            case (.rotationCrossEntropy, _):
                throw lossNode.mismatch("\"crossEntropy\" for a \(task.rawValue) task "
                                        + "(rotationCrossEntropy is for orientation)")
            default:
                throw lossNode.mismatch("\"crossEntropy\" for a \(task.rawValue) task (Dice "
                                        + "losses are for segmentation)")
            }
        }
        let classWeights = try object.value("classWeights", default: ClassWeights.none) {
            weightsNode -> ClassWeights in
            if task == .orientation {
                throw weightsNode.error("class weights do not apply to orientation training")
            }
            if case .string(let s) = weightsNode.value {
                guard s == "balanced" || s == "none" else {
                    throw weightsNode.mismatch("\"balanced\", \"none\" or a list of positive "
                                               + "numbers")
                }
                return s == "balanced" ? .balanced : .none
            }
            guard case .array = weightsNode.value else {
                throw weightsNode.mismatch("\"balanced\", \"none\" or a list of positive numbers")
            }
            return .explicit(try weightsNode.array().map { try $0.positiveNumber() })
        }

        var monitor = task.monitorableMetrics[0]
        var patience: Int?
        var minimumDelta = 0.0
        if let stopNode = object.optional("earlyStopping") {
            let stop = try stopNode.object(keys: ["metric", "patience", "minimumDelta"])
            if let metricNode = stop.optional("metric") {
                let metric = try metricNode.string()
                guard task.monitorableMetrics.contains(metric) else {
                    throw metricNode.mismatch("one of " + task.monitorableMetrics
                        .map { "\"\($0)\"" }.joined(separator: ", ")
                        + " for a \(task.rawValue) task")
                }
                monitor = metric
            }
            patience = try stop.required("patience").integer(atLeast: 1)
            minimumDelta = try stop.value("minimumDelta", default: 0) {
                try $0.nonNegativeNumber()
            }
        }
        return OptimizationSpec(epochs: epochs, batchSize: batchSize, optimizer: optimizerKind,
                                learningRate: learningRate, momentum: momentum,
                                weightDecay: weightDecay, schedule: schedule,
                                warmupEpochs: warmup, stepEpochs: stepEpochs, gamma: gamma,
                                minimumLearningRate: minimumRate, gradientClipNorm: clip,
                                loss: loss, classWeights: classWeights, monitor: monitor,
                                patience: patience, minimumDelta: minimumDelta)
    }

    /// The learning rate for a 0-based epoch: linear warm-up, then the schedule.
    public func learningRate(epoch: Int) -> Double {
        if epoch < warmupEpochs {
            return learningRate * Double(epoch + 1) / Double(warmupEpochs + 1)
        }
        let e = epoch - warmupEpochs
        switch schedule {
        case .constant:
            return learningRate
        case .step:
            return learningRate * pow(gamma, Double(e / stepEpochs))
        case .cosine:
            let span = max(1, epochs - warmupEpochs - 1)
            let progress = min(1, Double(e) / Double(span))
            return minimumLearningRate + (learningRate - minimumLearningRate)
                * 0.5 * (1 + cos(Double.pi * progress))
        }
    }

    /// Whether a larger value of the monitored metric is better.
    public var monitorMaximizes: Bool { monitor != "loss" }
}
