import Canonicalization
import Equivariance
import StrictJSON

extension ModelMetadata {
    /// The `formatVersion` this code reads.
    public static let currentFormatVersion = 1

    /// Architecture name each task's package must carry (a canonicalizer in front keeps the
    /// predictor's architecture).
    static func architecture(for task: TrainingTask) -> String {
        switch task {
        case .classification: return P4CNN.architectureName
        case .segmentation: return EquivariantUNet.architectureName
        case .orientation: return CanonicalizerMetadata.architectureName
        }
    }

    /// Parses and validates `metadata.json` text. Every field is checked (type, range, the
    /// architecture against the task, weight file names, SHA-256 digests, class and label
    /// lists); the first problem is thrown as a `ConfigError` printed as
    /// `FILE:LINE:COL /json/pointer message`, e.g.
    /// `model/metadata.json:9:17 /input/channels expected 1 or 3, got 2`.
    ///
    /// - Parameter file: the path named in errors.
    public static func parse(_ text: String, file: String) throws -> ModelMetadata {
        try JSONDocument.parse(text, file: file).read(parse)
    }

    static func parse(_ root: ConfigNode) throws -> ModelMetadata {
        let object = try root.object(keys: [
            "formatVersion", "name", "version", "description", "task", "architecture", "group",
            "classes", "labels", "input", "trainingData", "training", "validationMetrics",
            "weights", "canonicalizer", "minConfidence", "mirrorMinConfidence",
            "mirrorIdentifiable", "calibration", "reproducibility", "notice",
        ])
        let versionNode = try object.required("formatVersion")
        guard try versionNode.integer() == currentFormatVersion else {
            throw versionNode.mismatch("\(currentFormatVersion) (the metadata format this "
                                       + "version of EquiScan reads)")
        }
        let name = try object.required("name").nonEmptyString()
        let version = try object.required("version").nonEmptyString()
        let description = try object.required("description").string()
        let task = try object.required("task").choice(TrainingTask.self)
        let architectureNode = try object.required("architecture")
        let architecture = try architectureNode.string()
        let expected = Self.architecture(for: task)
        guard architecture == expected else {
            let known = TrainingTask.allCases.map { Self.architecture(for: $0) }
            if known.contains(architecture) {
                throw architectureNode.mismatch("\"\(expected)\" for a \(task.rawValue) model")
            }
            throw architectureNode.mismatch("one of "
                                            + known.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        let group = try object.required("group").choice(GroupName.self)

        let classes = try object.optional("classes").map(parseClasses)
        let labels = try object.optional("labels").map(parseLabels)
        switch task {
        case .classification:
            if classes == nil { _ = try object.required("classes") }
            if object.contains("labels") {
                throw object.error(at: "labels", "labels are for segmentation models")
            }
        case .segmentation:
            if labels == nil { _ = try object.required("labels") }
            if object.contains("classes") {
                throw object.error(at: "classes", "classes are for classification models")
            }
        case .orientation:
            for key in ["classes", "labels"] where object.contains(key) {
                throw object.error(at: key, "an orientation model has no \(key)")
            }
        }

        let input = try InputSpec.parse(object.required("input"))
        let trainingData = try TrainingDataSummary.parse(object.required("trainingData"))
        let training = try TrainingSummary.parse(object.required("training"))
        let metricsNode = try object.required("validationMetrics")
        var validationMetrics: [String: Double] = [:]
        for (key, node) in try metricsNode.map() {
            validationMetrics[key] = try node.number()
        }
        let weights = try WeightsReference.parse(object.required("weights"))
        let canonicalizer = try object.optional("canonicalizer").map(WeightsReference.parse)
        if let canonicalizer, canonicalizer.file == weights.file {
            throw object.error(at: "canonicalizer",
                               "the canonicalizer needs its own weight file, not "
                               + "\"\(weights.file)\"")
        }
        let notice = try object.required("notice").string()
        var metadata = ModelMetadata(formatVersion: currentFormatVersion, name: name,
                                     version: version, description: description, task: task,
                                     architecture: architecture, group: group, classes: classes,
                                     labels: labels, input: input, trainingData: trainingData,
                                     training: training, validationMetrics: validationMetrics,
                                     weights: weights, canonicalizer: canonicalizer,
                                     notice: notice)
        metadata.minConfidence = try object.optional("minConfidence")
            .map { try $0.number(in: 0...1) }
        metadata.mirrorMinConfidence = try object.optional("mirrorMinConfidence")
            .map { try $0.number(in: 0...1) }
        metadata.mirrorIdentifiable = try object.optional("mirrorIdentifiable")
            .map { try $0.bool() }
        metadata.calibration = try object.optional("calibration").map(PoseCalibration.parse)
        metadata.reproducibility = try object.optional("reproducibility")
            .map(Reproducibility.parse)
        return metadata
    }

    static func parseClasses(_ node: ConfigNode) throws -> [String] {
        try node.distinctNames(atLeast: 1, "class name")
    }

    static func parseLabels(_ node: ConfigNode) throws -> [LabelClass] {
        let items = try node.array()
        guard !items.isEmpty else { throw node.mismatch("a non-empty list of labels") }
        var names = Set<String>()
        var values = Set<Int>()
        return try items.map { item in
            let entry = try item.object(keys: ["name", "values"])
            let nameNode = try entry.required("name")
            let name = try nameNode.nonEmptyString()
            guard names.insert(name).inserted else {
                throw nameNode.error("duplicate label name \(JSONValue.escape(name))")
            }
            let valuesNode = try entry.required("values")
            let valueItems = try valuesNode.array()
            guard !valueItems.isEmpty else {
                throw valuesNode.mismatch("a non-empty list of pixel values")
            }
            let pixelValues = try valueItems.map { valueNode in
                let value = try valueNode.integer(in: 0...65535)
                guard values.insert(value).inserted else {
                    throw valueNode.error("pixel value \(value) already belongs to another label")
                }
                return value
            }
            return LabelClass(name: name, values: pixelValues)
        }
    }
}

extension ModelMetadata.TrainingDataSummary {
    static func parse(_ node: ConfigNode) throws -> Self {
        let object = try node.object(keys: ["train", "validation", "validationFraction",
                                            "trainCases", "validationCases",
                                            "trainCasesPerClass", "test", "testFraction",
                                            "testCases", "groupPattern", "groupBlock",
                                            "splitSeed", "pixelSpacing",
                                            "inputPixelSpacing"])
        func sources(_ node: ConfigNode) throws -> [String] {
            try node.array().map { try $0.nonEmptyString() }
        }
        func fraction(_ key: String) throws -> Double? {
            try object.optional(key).map { fractionNode in
                guard case .number(let x, _) = fractionNode.value, x > 0, x < 1 else {
                    throw fractionNode.mismatch("a fraction between 0 and 1 (exclusive)")
                }
                return x
            }
        }
        let train = try sources(object.required("train"))
        let validation = try sources(object.required("validation"))
        let validationFraction = try fraction("validationFraction")
        let trainCases = try object.required("trainCases").integer(atLeast: 0)
        let validationCases = try object.required("validationCases").integer(atLeast: 0)
        let perClass = try object.optional("trainCasesPerClass").map { mapNode in
            var counts: [String: Int] = [:]
            for (key, countNode) in try mapNode.map() {
                counts[key] = try countNode.integer(atLeast: 0)
            }
            return counts
        }
        var summary = Self(train: train, validation: validation,
                           validationFraction: validationFraction,
                           trainCases: trainCases, validationCases: validationCases,
                           trainCasesPerClass: perClass)
        summary.test = try object.optional("test").map(sources)
        summary.testFraction = try fraction("testFraction")
        summary.testCases = try object.optional("testCases").map { try $0.integer(atLeast: 0) }
        summary.groupPattern = try object.optional("groupPattern").map { try $0.nonEmptyString() }
        summary.groupBlock = try object.optional("groupBlock").map { try $0.integer(atLeast: 1) }
        summary.splitSeed = try object.optional("splitSeed").map { try $0.unsignedInteger() }
        summary.pixelSpacing = try object.optional("pixelSpacing").map(parsePixelSpacing)
        summary.inputPixelSpacing = try object.optional("inputPixelSpacing")
            .map(parsePixelSpacing)
        return summary
    }

    /// A pixel spacing `[row, column]` in mm: two finite numbers above 0.
    public static func parsePixelSpacing(_ node: ConfigNode) throws -> [Double] {
        try node.array(count: 2...2).map { itemNode in
            guard case .number(let x, _) = itemNode.value, x > 0, x.isFinite else {
                throw itemNode.mismatch("a pixel size in mm above 0")
            }
            return x
        }
    }
}

extension ModelMetadata.TrainingSummary {
    static func parse(_ node: ConfigNode) throws -> Self {
        let object = try node.object(keys: ["seed", "epochsRun", "bestEpoch", "monitor",
                                            "optimizer", "learningRate", "batchSize", "loss",
                                            "augmentation", "model", "stoppedEarly"])
        let seed = try object.required("seed").unsignedInteger()
        let epochsRun = try object.required("epochsRun").integer(atLeast: 0)
        let bestEpoch = try object.required("bestEpoch").integer(in: 0...max(0, epochsRun))
        let monitor = try object.required("monitor").nonEmptyString()
        let optimizer = try object.required("optimizer").nonEmptyString()
        let learningRate = try object.required("learningRate").positiveNumber()
        let batchSize = try object.required("batchSize").integer(atLeast: 1)
        let loss = try object.required("loss").nonEmptyString()
        let augmentation = try AugmentationSpec.parseMetadata(object.required("augmentation"))
        let model = try ModelSpec.parseMetadata(object.required("model"))
        let stoppedEarly = try object.required("stoppedEarly").bool()
        return Self(seed: seed, epochsRun: epochsRun, bestEpoch: bestEpoch, monitor: monitor,
                    optimizer: optimizer, learningRate: learningRate, batchSize: batchSize,
                    loss: loss, augmentation: augmentation, model: model,
                    stoppedEarly: stoppedEarly)
    }
}

extension ModelMetadata.WeightsReference {
    /// A file name inside the package folder (no folders, not hidden) and its SHA-256 as 64
    /// lower-case hex digits, the form `ContentHash.hex` writes.
    static func parse(_ node: ConfigNode) throws -> Self {
        let object = try node.object(keys: ["file", "sha256"])
        let fileNode = try object.required("file")
        let file = try fileNode.nonEmptyString()
        guard !file.contains("/"), !file.contains("\\"), !file.hasPrefix(".") else {
            throw fileNode.mismatch("a file name inside the package folder (no folders, not "
                                    + "starting with '.')")
        }
        let hashNode = try object.required("sha256")
        let sha256 = try hashNode.string()
        let hexDigits = "0123456789abcdef"
        guard sha256.count == 64, sha256.allSatisfy({ hexDigits.contains($0) }) else {
            throw hashNode.mismatch("a SHA-256 of 64 lower-case hex digits")
        }
        return Self(file: file, sha256: sha256)
    }
}

extension AugmentationSpec {
    /// The metadata form written by `encode(to:)`: `gamma`, `invert`, `noise`, `elastic` and
    /// `zoom` may be absent (off).
    static func parseMetadata(_ node: ConfigNode) throws -> AugmentationSpec {
        let object = try node.object(keys: ["groupElements", "flips", "crop", "brightness",
                                            "contrast", "gamma", "invert", "noise", "elastic",
                                            "zoom"])
        let crop = try object.optional("crop").map { cropNode in
            try cropNode.array(count: 2...2).map { try $0.integer(atLeast: 1) }
        }
        return AugmentationSpec(
            groupElements: try object.required("groupElements").bool(),
            flips: try object.required("flips").bool(),
            crop: crop,
            brightness: try object.required("brightness").nonNegativeNumber(),
            contrast: try object.required("contrast").nonNegativeNumber(),
            gamma: try object.value("gamma", default: 0) { try $0.nonNegativeNumber() },
            invert: try object.value("invert", default: 0) { try $0.number(in: 0...1) },
            noise: try object.value("noise", default: 0) { try $0.nonNegativeNumber() },
            elastic: try object.optional("elastic").map { try ElasticSpec.parse($0) },
            zoom: try object.optional("zoom").map(parseZoom))
    }

    /// The zoom range of a training config or package metadata: `[min, max]` with
    /// 0.5 ≤ min ≤ max ≤ 2.
    public static func parseZoom(_ node: ConfigNode) throws -> [Double] {
        let range = try node.array(count: 2...2).map { try $0.number(in: 0.5...2) }
        guard range[0] <= range[1] else {
            throw node.mismatch("[min, max] zoom factors with min ≤ max")
        }
        return range
    }
}

extension ElasticSpec {
    /// `{"displacement": σ pixels, "points": control points per side}`, as written to metadata
    /// and accepted in training configs.
    public static func parse(_ node: ConfigNode) throws -> ElasticSpec {
        let object = try node.object(keys: ["displacement", "points"])
        return ElasticSpec(displacement: try object.required("displacement").number(in: 0...64),
                           points: try object.value("points", default: 3) {
                               try $0.integer(in: 2...64)
                           })
    }
}

extension ModelSpec {
    /// The metadata form written by the synthesized `encode(to:)`.
    static func parseMetadata(_ node: ConfigNode) throws -> ModelSpec {
        let object = try node.object(keys: ["kind", "group", "width", "depth", "kernelSize",
                                            "dropout", "canonicalizer", "fields", "views",
                                            "viewGammas"])
        let dropoutNode = try object.required("dropout")
        guard case .number(let dropout, _) = dropoutNode.value, dropout >= 0, dropout < 1 else {
            throw dropoutNode.mismatch("a probability from 0 up to (not including) 1")
        }
        return ModelSpec(
            kind: try object.required("kind").choice(Kind.self),
            group: try object.required("group").choice(GroupName.self),
            width: try object.required("width").integer(atLeast: 1),
            depth: try object.required("depth").integer(atLeast: 1),
            kernelSize: try object.required("kernelSize").integer(atLeast: 1),
            dropout: dropout,
            canonicalizer: try object.optional("canonicalizer")
                .map(CanonicalizerSpec.parseMetadata),
            fields: try object.optional("fields").map { fieldsNode in
                try fieldsNode.array().map { try $0.integer(atLeast: 1) }
            },
            views: try object.optional("views").map(parseViewRatios),
            viewGammas: try object.optional("viewGammas").map(parseViewGammas))
    }

    /// A canonicalizer's `viewGammas`: 1 to 4 distinct intensity exponents, each in (0, 4]
    /// and not 1; the training config and the package metadata read them alike.
    public static func parseViewGammas(_ node: ConfigNode) throws -> [Double] {
        let gammas = try node.array(count: 1...4).map { gammaNode -> Double in
            guard case .number(let gamma, _) = gammaNode.value, gamma > 0, gamma <= 4,
                  gamma != 1 else {
                throw gammaNode.mismatch("an intensity exponent in (0, 4] other than 1")
            }
            return gamma
        }
        guard Set(gammas).count == gammas.count else {
            throw node.mismatch("distinct exponents")
        }
        return gammas
    }

    /// A canonicalizer's `views`: 1 to 8 crop ratios, each in (0, 1]; the training config and
    /// the package metadata read them alike.
    public static func parseViewRatios(_ node: ConfigNode) throws -> [Double] {
        try node.array(count: 1...8).map { ratioNode -> Double in
            guard case .number(let ratio, _) = ratioNode.value, ratio > 0, ratio <= 1 else {
                throw ratioNode.mismatch("a crop ratio in (0, 1]")
            }
            return ratio
        }
    }
}

extension CanonicalizerSpec {
    /// The metadata form written by the synthesized `encode(to:)`.
    static func parseMetadata(_ node: ConfigNode) throws -> CanonicalizerSpec {
        let object = try node.object(keys: ["group", "fields", "inputSize", "priorWeight",
                                            "beta"])
        return CanonicalizerSpec(
            group: try object.required("group").choice(GroupName.self),
            fields: try object.required("fields").array(count: 2...9)
                .map { try $0.integer(atLeast: 1) },
            inputSize: try object.required("inputSize").integer(atLeast: 1),
            priorWeight: try object.required("priorWeight").nonNegativeNumber(),
            beta: try object.required("beta").positiveNumber())
    }
}
