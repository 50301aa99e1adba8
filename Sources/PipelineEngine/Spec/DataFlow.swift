import Equivariance
import ModelRuntime
import StrictJSON

/// Follows the value of every stage along the `@input` graph, infers what each one gives
/// (`InferredOutput`) and records each stage that is given a value it cannot take.
///
/// A stage whose input is unknown (its reference is broken, or a problem upstream left it
/// meaningless) gives an unknown value and nothing after it is checked against that, so one
/// mistake is reported once. Problems stand at the stage's `input` when it has one, else at
/// its `op`.
struct DataFlow {
    /// What each stage gives, by stage index; absent where unknown.
    private(set) var outputs: [Int: InferredOutput] = [:]
    private(set) var problems: [ConfigError] = []
    /// The stages by index, for naming the stage a value came from.
    private let ops: [Int: StageOp]

    /// Whether a case may be several files (nnU-Net naming), whose count sets the channels.
    private let multiFileCases: Bool

    init(stages: [StageSpec], multiFileCases: Bool = false) {
        ops = Dictionary(uniqueKeysWithValues: stages.map { ($0.index, $0.op) })
        self.multiFileCases = multiFileCases
    }

    /// Infers what `stage` gives from the output of stage `inputIndex` (only an earlier stage
    /// counts) and its model package (nil when unreadable or of the wrong task).
    mutating func follow(_ stage: StageSpec, inputIndex: Int?,
                         model: PlannedModel?) -> InferredOutput? {
        var output: InferredOutput?
        if stage.op == .loadImage {
            let colour = stage.string("colour")
            let perFile = colour == "gray" ? 1 : colour == "rgb" ? 3 : nil
            output = .scan(channels: multiFileCases ? nil : perFile, setBy: stage.index)
        } else if let inputIndex, inputIndex < stage.index, let input = outputs[inputIndex] {
            output = transfer(stage, input, from: inputIndex, model?.metadata)
        }
        outputs[stage.index] = output
        return output
    }

    /// "stage 3 (Segment)".
    func name(_ index: Int) -> String {
        "stage \(index) (\(ops[index]?.rawValue ?? "?"))"
    }

    /// What `stage` gives when it takes `input`, the output of stage `source`; nil after a
    /// problem that leaves it meaningless.
    private mutating func transfer(_ stage: StageSpec, _ input: InferredOutput, from source: Int,
                                   _ model: ModelMetadata?) -> InferredOutput? {
        let node = stage.member("input") ?? stage.member("op") ?? stage.node
        func report(_ message: String) { problems.append(node.error(message)) }
        if let need = Need(stage), !need.kinds.contains(input.kind) {
            report(need.refusal(of: input, from: name(source), stage))
            return nil
        }
        if let model { checkModelInput(stage, input, model, report) }
        var output = input
        switch stage.op {
        case .loadImage, .ensureChannelFirst, .keepLargestConnectedComponent, .saveImage:
            break
        case .scaleIntensityRange, .normalizeIntensity:
            output.intensity = .scaled(byStage: stage.index)
        case .resize:
            output.setSize(stage.size("spatial_size"), by: stage.index)
        case .centerSpatialCrop, .spatialPad:
            // Each side is cropped to at most, or padded to at least, the one given.
            let pads = stage.op == .spatialPad
            var size: InferredOutput.Size?
            if let known = input.size, let bound = stage.size(pads ? "spatial_size" : "roi_size") {
                let side = { (a: Int, b: Int) in pads ? Swift.max(a, b) : Swift.min(a, b) }
                size = .init(width: side(known.width, bound.width),
                             height: side(known.height, bound.height))
            }
            output.setSize(size, by: stage.index)
        case .rotate90:
            let turns = stage.integer("k") ?? 1
            if turns % 2 == 1, let size = input.size {
                output.setSize(.init(width: size.height, height: size.width), by: stage.index)
            }
            if turns % 4 != 0 {
                output.move(GroupElement(rotation: turns % 4), by: stage.index)
            }
        case .flip:
            // F mirrors along W (axis 1); along H (axis 0) is R²F. Which is which does not
            // matter to the rule that reads it: both are mirrors, their product a half turn.
            let axis = stage.integer("spatial_axis") ?? 1
            output.move(GroupElement(mirrored: true, rotation: axis == 0 ? 2 : 0),
                        by: stage.index)
        case .canonicalizeOrientation:
            // The image itself turns upright: its channels stay what they were.
            output.frame = .canonical(byStage: stage.index)
            output.poses = model?.group
            output.moved = Group.d4.identity
            output.movedBy = []
            output.keepSizeIfSquare()
        case .classify:
            output.becomes(.classification, labels: model?.classes)
            output.setSize(nil, by: stage.index)
        case .segment:
            output.becomes(.probabilities, labels: model?.labels?.map(\.name))
        case .asDiscrete:
            output.becomes(.mask, labels: input.labels)
        case .invertCanonicalization:
            guard case .canonical(let canonicalizer) = input.frame else {
                report("InvertCanonicalization needs a value in the canonical frame (from "
                       + "CanonicalizeOrientation), but \(name(source)) gives "
                       + "\(input.kind.words) in the scan frame")
                return nil
            }
            checkPoseUndone(input, canonicalizer, report)
            output.frame = .scan
            output.moved = Group.d4.identity
            output.movedBy = []
            output.keepSizeIfSquare()
        case .saveOverlay:
            if case .canonical(let canonicalizer) = input.frame {
                report("SaveOverlay needs a mask in the scan frame, but \(name(source)) gives "
                       + "a mask in the canonical frame of \(name(canonicalizer)); add "
                       + "InvertCanonicalization before it")
            }
        }
        return output
    }

    /// A model stage's input against its package: channels, raw intensities, and for
    /// Classify the size (Segment slides windows over any size; a canonicalizer scores poses
    /// of any size).
    private func checkModelInput(_ stage: StageSpec, _ input: InferredOutput,
                                 _ model: ModelMetadata, _ report: (String) -> Void) {
        let op = stage.op.rawValue
        let quoted = JSONValue.escape(stage.modelReference ?? "")
        let owner = "\(op)'s model \(quoted)"
        let spec = model.input
        // A gray canonicalizer scores a colour image by its luma (and turns the colour image).
        let lumaScored = stage.op == .canonicalizeOrientation && spec.channels == 1
            && input.channels == 3
        if let channels = input.channels, channels != spec.channels, !lumaScored,
           let origin = input.channelsSetBy {
            // Only LoadImage's colour fixes channels.
            let source = "\"colour\": \(channels == 1 ? "\"gray\"" : "\"rgb\"") of \(name(origin))"
            report("\(owner) takes \(spec.channels) channel\(spec.channels == 1 ? "" : "s"), "
                   + "but its input has \(channels), set by \(source)")
        }
        if case .scaled(let scaler) = input.intensity {
            report("\(op) needs raw intensities, as its model \(quoted) normalises its input "
                   + "itself (input.normalization: \(Self.describe(spec.normalization))), but "
                   + "\(name(scaler)) has scaled them; take its input from before that stage")
        }
        if stage.op == .classify, let size = input.size, let origin = input.sizeSetBy,
           size != .init(width: spec.width, height: spec.height) {
            let wanted = "\(spec.width)×\(spec.height)"
            report("\(owner) takes \(wanted) images, but its input is \(size), set by "
                   + "\(name(origin)); the model would resample it to \(wanted): resize to "
                   + "[\(spec.width), \(spec.height)] or leave the size to the model")
        }
    }

    /// InvertCanonicalization maps a canonical value c = g⁻¹·x back by the pose g found for
    /// each scan. A turn or mirror t applied in between comes back as g·t·g⁻¹ applied to the
    /// scan, which is the same for every scan only when t commutes with every pose of the
    /// canonicalizer's group: any rotation under C4, only the half turn under D4, no mirror
    /// under either.
    private func checkPoseUndone(_ input: InferredOutput, _ canonicalizer: Int,
                                 _ report: (String) -> Void) {
        guard let poses = input.poses else { return }
        let d4 = Group.d4, moved = input.moved
        let commutes = ModelFactory.group(poses).elements.allSatisfy {
            d4.compose($0, moved) == d4.compose(moved, $0)
        }
        guard !commutes else { return }
        let movers = Self.list(input.movedBy.map(name))
        let frame = "in the canonical frame of \(name(canonicalizer))"
        if moved.mirrored {
            report("InvertCanonicalization cannot return to the scan frame: \(movers) "
                   + "mirrored the value \(frame), and undoing each scan's pose turns the "
                   + "mirror's axis with it; flip after InvertCanonicalization instead")
        } else {
            report("InvertCanonicalization cannot return to the scan frame: \(movers) turned "
                   + "the value by a quarter turn \(frame), whose \(poses.rawValue) poses "
                   + "include mirror images, and undoing a mirrored pose reverses the turn; "
                   + "rotate after InvertCanonicalization instead")
        }
    }

    /// `input.normalization` as written in metadata: "percentile 1 to 99", "minMax".
    static func describe(_ normalization: Normalization) -> String {
        switch normalization {
        case .percentile(let lower, let upper):
            return "percentile \(ConfigNode.format(lower)) to \(ConfigNode.format(upper))"
        case .window(let low, let high):
            return "window \(ConfigNode.format(low)) to \(ConfigNode.format(high))"
        case .none, .minMax, .zScore:
            return normalization.kind
        }
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }
}

/// The kinds of value an op takes, and how it says so.
private struct Need {
    /// The taker as named in messages: `AsDiscrete`, `SaveImage of "mask"`.
    var taker: String
    var kinds: [InferredOutput.Kind]
    /// "probabilities (from Segment)".
    var words: String

    /// Nil for LoadImage (it reads the scan) and for a SaveImage whose `what` was refused.
    init?(_ stage: StageSpec) {
        taker = stage.op.rawValue
        switch stage.op {
        case .loadImage:
            return nil
        case .ensureChannelFirst, .scaleIntensityRange, .normalizeIntensity,
             .canonicalizeOrientation, .classify, .segment:
            (kinds, words) = ([.image], "an image")
        case .resize, .centerSpatialCrop, .spatialPad, .rotate90, .flip,
             .invertCanonicalization:
            (kinds, words) = ([.image, .probabilities, .mask], "an image, probabilities or a mask")
        case .keepLargestConnectedComponent, .saveOverlay:
            (kinds, words) = ([.mask], "a mask (from AsDiscrete)")
        case .asDiscrete:
            (kinds, words) = ([.probabilities], "probabilities (from Segment)")
        case .saveImage:
            guard let what = stage.string("what") else { return nil }
            taker = "SaveImage of \(JSONValue.escape(what))"
            switch what {
            case "mask":
                (kinds, words) = ([.mask], "a mask (from AsDiscrete)")
            case "probabilities":
                (kinds, words) = ([.probabilities], "probabilities (from Segment)")
            default:
                (kinds, words) = ([.image], "an image")
            }
        }
    }

    /// "AsDiscrete needs probabilities (from Segment), but stage 0 (LoadImage) gives an
    /// image", with what to do where there is one clear step.
    func refusal(of input: InferredOutput, from source: String, _ stage: StageSpec) -> String {
        var steps: [String] = []
        if input.kind == .classification {
            steps.append("a classification goes to the results record, and no stage takes it")
        }
        if input.kind == .probabilities, kinds == [.mask] {
            steps.append("add AsDiscrete before it")
        }
        if stage.op == .saveImage, let what = input.kind.savedAs {
            steps.append("set \"what\": \(JSONValue.escape(what)) to save what it gives")
        }
        return "\(taker) needs \(words), but \(source) gives \(input.kind.words)"
            + (steps.isEmpty ? "" : "; " + steps.joined(separator: ", or "))
    }
}

extension StageSpec {
    /// The value of a `[width, height]` parameter, when it was accepted.
    func size(_ key: String) -> InferredOutput.Size? {
        if case .size(let width, let height)? = parameters[key] {
            return .init(width: width, height: height)
        }
        return nil
    }

    /// The value of a whole-number parameter, when it was accepted or defaulted.
    func integer(_ key: String) -> Int? {
        if case .integer(let value)? = parameters[key] { return value }
        return nil
    }
}
