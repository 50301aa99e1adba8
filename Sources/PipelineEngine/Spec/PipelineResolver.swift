import Foundation
import ModelRuntime
import StrictJSON

/// Resolves a parsed pipeline: stage references to indices, model paths to verified
/// packages, what each stage gives (`DataFlow`) and which files the stages write. Collects
/// every problem.
struct PipelineResolver {
    let spec: PipelineSpec
    /// Where relative model paths start: the pipeline file's folder.
    let baseFolder: String
    private(set) var problems: [ConfigError] = []
    /// Packages already loaded, by resolved folder (several stages may share one).
    private var packages: [String: Result<PlannedModel, ModelLoadFailure>] = [:]
    /// Continuous (EGNN) packages already loaded, by resolved folder.
    private var continuousPackages: [String: Result<PlannedContinuousModel, ModelLoadFailure>]
        = [:]

    init(spec: PipelineSpec, baseFolder: String) {
        self.spec = spec
        self.baseFolder = baseFolder
    }

    /// The planned stages; meaningful only when `problems` stays empty.
    mutating func resolve() -> [PlannedStage] {
        let indexByID = checkIDs()
        var flow = DataFlow(stages: spec.stages,
                            multiFileCases: spec.inputs.naming == .nnunet)
        var planned: [PlannedStage] = []
        for stage in spec.stages {
            let inputIndex = resolveInput(of: stage, indexByID)
            checkPlace(of: stage)
            var model: PlannedModel?
            var continuous: PlannedContinuousModel?
            var fits = false
            if stage.op.usesModel, let reference = stage.modelReference,
               let node = stage.member("model") {
                if stage.op == .canonicalizeOrientation, stage.string("method") == "egnn" {
                    continuous = loadContinuousModel(reference, at: node)
                    if let threshold = stage.member("min_confidence") {
                        // A continuous pose has no softmax margin to compare with.
                        problems.append(threshold.error(
                            "min_confidence applies to the discrete canonicalizer only; "
                            + "remove it or use \"method\": \"discrete\""))
                    }
                } else {
                    model = loadModel(reference, at: node)
                    if let model { fits = checkTask(of: model, for: stage, at: node) }
                }
            }
            let output = flow.follow(stage, inputIndex: inputIndex, model: fits ? model : nil)
            planned.append(PlannedStage(spec: stage, inputIndex: inputIndex, model: model,
                                        continuousModel: continuous, output: output))
        }
        problems += flow.problems
        checkOutputFiles()
        return planned
    }

    /// Index of every id; a repeated id is a problem at its second use.
    private mutating func checkIDs() -> [String: Int] {
        var indexByID: [String: Int] = [:]
        for stage in spec.stages {
            guard let id = stage.id, let node = stage.member("id") else { continue }
            if let first = indexByID[id] {
                problems.append(node.error("duplicate id \(JSONValue.escape(id)) (first given "
                                           + "at /stages/\(first)/id)"))
            } else {
                indexByID[id] = stage.index
            }
        }
        return indexByID
    }

    /// The stage whose output `stage` takes: its `input` reference, else the previous one.
    private mutating func resolveInput(of stage: StageSpec,
                                       _ indexByID: [String: Int]) -> Int? {
        guard let reference = stage.input, let node = stage.member("input") else {
            return stage.index == 0 ? nil : stage.index - 1
        }
        guard let index = indexByID[reference] else {
            var message = "no stage has id \(JSONValue.escape(reference))"
            let ids = Array(indexByID.keys).sorted()
            if let close = ConfigNode.closest(to: reference, in: ids) {
                message += " (did you mean \(JSONValue.escape("@" + close))?)"
            }
            problems.append(node.error(message))
            return nil
        }
        if index == stage.index {
            problems.append(node.error("a stage cannot take its own output"))
        } else if index > stage.index {
            problems.append(node.error("\(JSONValue.escape("@" + reference)) is stage "
                                       + "\(index), which runs later; a stage takes only an "
                                       + "earlier stage's output"))
        }
        return index
    }

    /// LoadImage first and only there; what each other stage may take is checked by
    /// `DataFlow`.
    private mutating func checkPlace(of stage: StageSpec) {
        let opNode = stage.member("op") ?? stage.node
        if stage.index == 0, stage.op != .loadImage {
            problems.append(opNode.error("the first stage must be LoadImage, got "
                                         + JSONValue.escape(stage.op.rawValue)))
        } else if stage.index > 0, stage.op == .loadImage {
            problems.append(opNode.error("LoadImage can only be the first stage"))
        }
        if stage.index == 0, let input = stage.member("input") {
            problems.append(input.error("the first stage reads the scan and takes no input"))
        }
    }

    /// Two stages that would write the same file for a case: `<case>_SUFFIX.EXT`, SUFFIX the
    /// stage's id or else what it saves, EXT `png` or `tif` (SaveOverlay writes PNG).
    private mutating func checkOutputFiles() {
        var writers: [String: Int] = [:]
        for stage in spec.stages {
            let suffix: String?, ext: String?
            switch stage.op {
            case .saveImage:
                suffix = stage.string("what")
                ext = stage.string("format").map { $0 == "tiff" ? "tif" : $0 }
            case .saveOverlay:
                (suffix, ext) = ("overlay", "png")
            default:
                continue
            }
            // A refused id or parameter has its own problem; guessing its file would add a
            // second.
            guard stage.id != nil || stage.member("id") == nil,
                  let suffix = stage.id ?? suffix, let ext else { continue }
            let file = "<case>_\(suffix).\(ext)"
            if let first = writers[file] {
                problems.append((stage.member("op") ?? stage.node).error(
                    "stage \(stage.index) writes the same file as stage \(first) (\(file)); "
                    + "give one an id"))
            } else {
                writers[file] = stage.index
            }
        }
    }

    /// The verified package at `reference` (relative to the pipeline file), or nil after
    /// recording why it cannot be used.
    private mutating func loadModel(_ reference: String, at node: ConfigNode) -> PlannedModel? {
        let folder = resolvedFolder(reference)
        if packages[folder] == nil {
            packages[folder] = Self.attempt {
                PlannedModel(folder: folder, metadata: try ModelPackage.load(folder).metadata)
            }
        }
        return usable(packages[folder], reference, at: node)
    }

    /// The verified continuous (EGNN) package at `reference`, or nil after recording why it
    /// cannot be used.
    private mutating func loadContinuousModel(_ reference: String, at node: ConfigNode)
        -> PlannedContinuousModel? {
        let folder = resolvedFolder(reference)
        if continuousPackages[folder] == nil {
            continuousPackages[folder] = Self.attempt {
                PlannedContinuousModel(folder: folder,
                                       metadata: try EGNNPackage.load(folder).metadata)
            }
        }
        return usable(continuousPackages[folder], reference, at: node)
    }

    private func resolvedFolder(_ reference: String) -> String {
        reference.hasPrefix("/") ? reference
            : ((baseFolder as NSString).appendingPathComponent(reference) as NSString)
                .standardizingPath
    }

    /// The result of `load`, its error turned into a message.
    private static func attempt<Model>(_ load: () throws -> Model)
        -> Result<Model, ModelLoadFailure> {
        do {
            return .success(try load())
        } catch {
            return .failure(ModelLoadFailure(text: String(describing: error)))
        }
    }

    /// The loaded model, or nil after recording why it cannot be used.
    private mutating func usable<Model>(_ result: Result<Model, ModelLoadFailure>?,
                                        _ reference: String, at node: ConfigNode) -> Model? {
        switch result {
        case .success(let model)?:
            return model
        case .failure(let reason)?:
            problems.append(node.error("model \(JSONValue.escape(reference)) cannot be used: "
                                       + reason.text))
            return nil
        case nil:
            return nil
        }
    }

    /// Whether the package's task fits the op; records the problem when not. (What the
    /// model takes is checked against its input by `DataFlow`.)
    private mutating func checkTask(of model: PlannedModel, for stage: StageSpec,
                                    at node: ConfigNode) -> Bool {
        let needed: TrainingTask
        switch stage.op {
        case .classify: needed = .classification
        case .segment: needed = .segmentation
        default: needed = .orientation
        }
        let task = model.metadata.task
        guard task != needed else { return true }
        problems.append(node.error("model \(JSONValue.escape(stage.modelReference ?? "")) is "
                                   + "\(Self.article(task)) \(task.rawValue) model; "
                                   + "\(stage.op.rawValue) needs "
                                   + "\(Self.article(needed)) \(needed.rawValue) model"))
        return false
    }

    static func article(_ task: TrainingTask) -> String {
        task == .orientation ? "an" : "a"
    }
}

/// A load failure's message, cached so that a package shared by stages is read once.
struct ModelLoadFailure: Error {
    var text: String
}
