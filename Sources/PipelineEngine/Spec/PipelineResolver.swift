import Foundation
import ModelRuntime
import StrictJSON

/// Resolves a parsed pipeline: stage references to indices, model paths to verified
/// packages, and the data-flow rules between stages. Collects every problem.
struct PipelineResolver {
    let spec: PipelineSpec
    /// Where relative model paths start: the pipeline file's folder.
    let baseFolder: String
    private(set) var problems: [ConfigError] = []
    /// Packages already loaded, by resolved folder (several stages may share one).
    private var packages: [String: Result<PlannedModel, ModelLoadFailure>] = [:]

    init(spec: PipelineSpec, baseFolder: String) {
        self.spec = spec
        self.baseFolder = baseFolder
    }

    /// The planned stages; meaningful only when `problems` stays empty.
    mutating func resolve() -> [PlannedStage] {
        let indexByID = checkIDs()
        var planned: [PlannedStage] = []
        for stage in spec.stages {
            let inputIndex = resolveInput(of: stage, indexByID)
            checkPlace(of: stage)
            var model: PlannedModel?
            if stage.op.usesModel, let reference = stage.modelReference,
               let node = stage.member("model") {
                model = loadModel(reference, at: node)
                if let model { checkModel(model, of: stage, at: node) }
            }
            planned.append(PlannedStage(spec: stage, inputIndex: inputIndex, model: model))
        }
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

    /// Rules about where an op may stand: LoadImage first and only there; ops that need an
    /// earlier stage of a kind.
    private mutating func checkPlace(of stage: StageSpec) {
        let earlier = spec.stages.filter { $0.index < stage.index }.map(\.op)
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
        func require(_ needed: StageOp, at node: ConfigNode, _ what: String) {
            if !earlier.contains(needed) {
                problems.append(node.error("\(what) needs an earlier \(needed.rawValue) stage"))
            }
        }
        switch stage.op {
        case .invertCanonicalization:
            require(.canonicalizeOrientation, at: opNode, stage.op.rawValue)
        case .keepLargestConnectedComponent, .saveOverlay:
            require(.segment, at: opNode, stage.op.rawValue)
        case .saveImage:
            if let what = stage.string("what"), what != "scan",
               let node = stage.member("what") {
                require(.segment, at: node, "SaveImage of \(JSONValue.escape(what))")
            }
        default:
            break
        }
    }

    /// The verified package at `reference` (relative to the pipeline file), or nil after
    /// recording why it cannot be used.
    private mutating func loadModel(_ reference: String, at node: ConfigNode) -> PlannedModel? {
        let folder = reference.hasPrefix("/") ? reference
            : ((baseFolder as NSString).appendingPathComponent(reference) as NSString)
                .standardizingPath
        if packages[folder] == nil {
            do {
                let package = try ModelPackage.load(folder)
                packages[folder] = .success(PlannedModel(folder: folder,
                                                         metadata: package.metadata))
            } catch {
                let reason = (error as? CustomStringConvertible)?.description
                    ?? "the package cannot be loaded"
                packages[folder] = .failure(ModelLoadFailure(text: reason))
            }
        }
        switch packages[folder] {
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

    /// The package's task fits the op, and its input channels fit what LoadImage delivers.
    private mutating func checkModel(_ model: PlannedModel, of stage: StageSpec,
                                     at node: ConfigNode) {
        let needed: TrainingTask
        switch stage.op {
        case .classify: needed = .classification
        case .segment: needed = .segmentation
        default: needed = .orientation
        }
        let task = model.metadata.task
        let quoted = JSONValue.escape(stage.modelReference ?? "")
        if task != needed {
            problems.append(node.error("model \(quoted) is "
                                       + "\(Self.article(task)) \(task.rawValue) model; "
                                       + "\(stage.op.rawValue) needs "
                                       + "\(Self.article(needed)) \(needed.rawValue) model"))
        }
        let first = spec.stages.first
        let colour = first?.op == .loadImage ? first?.string("colour") : nil
        let delivered = colour == "gray" ? 1 : colour == "rgb" ? 3 : nil
        if let delivered, let colour, model.metadata.input.channels != delivered {
            problems.append(node.error(
                "model \(quoted) expects "
                + "\(model.metadata.input.channels) channel"
                + "\(model.metadata.input.channels == 1 ? "" : "s"), but LoadImage "
                + "(colour \(JSONValue.escape(colour))) delivers \(delivered)"))
        }
    }

    static func article(_ task: TrainingTask) -> String {
        task == .orientation ? "an" : "a"
    }
}

/// A load failure's message, cached so that a package shared by stages is read once.
struct ModelLoadFailure: Error {
    var text: String
}
