import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import Reports
import TensorCore

/// What each op does to a case at run time. The validator has checked the pipeline's
/// structure; the checks here are about the case's data (its channels, its size, a model's
/// numbers), and each failure names the file and says why.
struct StageRuntime {
    let plan: PipelinePlan
    /// The models of the worker running this case.
    let models: WorkerModels
    let writer: CaseOutputWriter

    /// Runs stage `index` of the plan on `context`, storing its output value.
    func run(_ index: Int, _ context: inout CaseContext) throws {
        try context.checkTime()
        let stage = plan.stages[index]
        let spec = stage.spec
        let file = context.source.path
        let input = stage.inputIndex.flatMap { context.values[$0] }
        let output: CaseValue
        switch spec.op {
        case .loadImage:
            output = try loadImage(spec, &context)
        case .ensureChannelFirst:
            output = try image(input, spec)  // planes are always channel-first
        case .scaleIntensityRange:
            let (planes, _, geometry) = try imageParts(input, spec)
            output = .image(StageTransforms.scaleIntensityRange(
                planes, aMin: spec.numberValue("a_min"), aMax: spec.numberValue("a_max"),
                bMin: spec.numberValue("b_min"), bMax: spec.numberValue("b_max"),
                clip: spec.booleanValue("clip")), .scaled, geometry)
        case .normalizeIntensity:
            let (planes, _, geometry) = try imageParts(input, spec)
            let mode: StageTransforms.NormalizeMode =
                spec.string("mode") == "percentile" ? .percentile : .zscore
            output = .image(StageTransforms.normalizeIntensity(
                planes, mode: mode, lower: spec.numberValue("lower"),
                upper: spec.numberValue("upper")),
                .scaled, geometry)
        case .resize, .centerSpatialCrop, .spatialPad, .rotate90, .flip:
            output = try Geometry.apply(spec, to: try spatial(input, spec))
        case .canonicalizeOrientation:
            output = try canonicalize(input, stage, &context)
        case .classify:
            output = try classify(input, stage, &context)
        case .segment:
            output = try segment(input, stage, &context)
        case .invertCanonicalization:
            guard context.pose != nil else {
                throw StageFailure("\(file): no pose to invert (CanonicalizeOrientation did not "
                                   + "run on this case)")
            }
            let value = try spatial(input, spec)
            guard value.geometry?.frame == .canonical else {
                throw StageFailure("\(file): the value is in the scan's frame already; there "
                                   + "is nothing to invert")
            }
            if let continuous = context.continuousPose {
                output = Geometry.applyContinuousPose(continuous, to: value, frame: .scan,
                                                      inverse: false)
            } else {
                // An uncertain pose turned nothing, so there is nothing to turn back.
                let identity = CaseRecord.Pose(rotation: 0, mirrored: false, confidence: 1)
                output = Geometry.applyPose(context.appliedPose ?? identity, to: value,
                                            frame: .scan)
            }
        case .keepLargestConnectedComponent:
            guard case .mask(let map, let labels, let geometry)? = input else {
                throw wrongKind(input, spec, expected: "a mask")
            }
            output = .mask(StageTransforms.keepLargestConnectedComponent(map), labels: labels,
                           geometry)
        case .asDiscrete:
            guard case .probabilities(let planes, let labels, let geometry)? = input else {
                throw wrongKind(input, spec, expected: "probabilities (from Segment)")
            }
            let map: LabelMap
            if case .number(let threshold)? = spec.parameters["threshold"] {
                map = StageTransforms.threshold(planes, threshold)
            } else {
                map = StageTransforms.argmax(planes)
            }
            output = .mask(map, labels: labels, geometry)
        case .saveImage:
            output = try writer.saveImage(input, stage, &context)
        case .saveOverlay:
            output = try writer.saveOverlay(input, stage, &context)
        }
        if case .mask(let map, let labels, let geometry) = output {
            context.finalMask = (map, labels, geometry)
        }
        context.values[index] = output
    }

    // MARK: Ops

    private func loadImage(_ spec: StageSpec, _ context: inout CaseContext) throws -> CaseValue {
        let options = DecodeOptions(page: spec.integerValue("page"),
                                    applyOrientation: spec.string("orientation") != "keep",
                                    pixelLimit: spec.integerValue("pixel_limit"))
        var planes: ImagePlanes?
        for (file, bytes) in zip(context.source.files, context.bytes) {
            let scan = try ImageDecoder.decode(bytes: bytes, name: file, options: options)
            guard scan.width > 0, scan.height > 0 else {
                throw StageFailure("\(file): the scan has no pixels")
            }
            let channels: Int
            switch spec.string("colour") {
            case "gray": channels = 1
            case "rgb": channels = 3
            default: channels = Self.colourChannels(of: scan)
            }
            let next = try ImagePlanes(scan: scan, channels: channels, file: file)
            guard let first = planes, let firstScan = context.scan else {
                planes = next
                context.scan = scan
                continue
            }
            // nnU-Net channel files: every channel has the first one's size.
            guard scan.width == firstScan.width, scan.height == firstScan.height else {
                throw StageFailure("\(file): is \(scan.width)×\(scan.height), but the case's "
                                   + "first channel \(context.source.path) is "
                                   + "\(firstScan.width)×\(firstScan.height); the channels of "
                                   + "a case must have one size")
            }
            planes = ImagePlanes(channels: first.channels + next.channels, width: first.width,
                                 height: first.height, values: first.values + next.values)
        }
        guard let planes, let scan = context.scan else {
            preconditionFailure("a case has at least one file")
        }
        return .image(planes, .raw, ValueGeometry(frame: .scan,
                                                  pixelSize: scan.metadata.pixelSizeMM))
    }

    /// 3 for colour scans (RGB, RGBA, palette), 1 for gray ones: alpha is never a channel.
    static func colourChannels(of scan: Scan) -> Int {
        switch scan.metadata.colorModel {
        case .rgb, .rgba, .palette: return 3
        default: return scan.channels >= 3 ? 3 : 1
        }
    }

    private func canonicalize(_ input: CaseValue?, _ stage: PlannedStage,
                              _ context: inout CaseContext) throws -> CaseValue {
        let (planes, _, geometry) = try imageParts(input, stage.spec)
        if stage.continuousModel != nil {
            return try canonicalizeContinuous(planes, geometry, stage, &context)
        }
        let canonicalizer = try models.canonicalizer(for: stage)
        let file = context.source.path
        let channels = canonicalizer.configuration.network.inputChannels
        // A gray canonicalizer scores colour images by their Rec. 601 luma, as `equiscan
        // canonicalize` does; the colour image is what turns upright.
        let scored = planes.channels == 3 && channels == 1 ? Self.luma(planes) : planes
        guard scored.channels == channels else {
            throw StageFailure("\(file): the canonicalizer expects \(channels) channel"
                               + "\(channels == 1 ? "" : "s"), the image has \(planes.channels)")
        }
        let estimate = canonicalizer.estimatePoses(scored.tensor)[0]
        guard estimate.scores.allSatisfy(\.isFinite), estimate.confidence.isFinite else {
            throw StageFailure("\(file): the model produced NaN or infinite pose scores")
        }
        guard estimate.isOnPixelGrid else {
            throw StageFailure("\(file): pose \(estimate.degrees)° is not a multiple of 90°; "
                               + "turning the scan would resample it (use a C4 or D4 model)")
        }
        let package = try models.package(for: stage)
        let threshold = stage.spec.parameters["min_confidence"].flatMap { value -> Double? in
            if case .number(let number) = value { return number }
            return nil
        }
        let abstention = package.metadata.poseAbstention(minConfidence: threshold)
        var pose = CaseRecord.Pose(rotation: Int(estimate.quarterTurns),
                                   mirrored: estimate.mirrored,
                                   confidence: Double(estimate.confidence))
        pose.uncertain = abstention.isUncertain(estimate)
        pose.mirrorUncertain = abstention.isMirrorUncertain(estimate)
        context.pose = pose
        // A mirror the package cannot identify is left as it is: only the rotation is undone.
        var turned = pose
        if pose.mirrorUncertain { turned.mirrored = false }
        context.appliedPose = pose.uncertain ? nil : turned
        let applied = context.appliedPose
            ?? CaseRecord.Pose(rotation: 0, mirrored: false, confidence: 1)
        return Geometry.applyPose(applied, to: .image(planes, .raw, geometry),
                                  frame: .canonical, inverse: true)
    }

    /// Rec. 601 luma (0.299 R + 0.587 G + 0.114 B) of three-channel planes.
    static func luma(_ planes: ImagePlanes) -> ImagePlanes {
        let pixels = planes.width * planes.height
        var gray = [Float](repeating: 0, count: pixels)
        planes.values.withUnsafeBufferPointer { v in
            for i in 0..<pixels {
                gray[i] = 0.299 * v[i] + 0.587 * v[pixels + i] + 0.114 * v[2 * pixels + i]
            }
        }
        return ImagePlanes(channels: 1, width: planes.width, height: planes.height, values: gray)
    }

    private func classify(_ input: CaseValue?, _ stage: PlannedStage,
                          _ context: inout CaseContext) throws -> CaseValue {
        let (planes, intensity, _) = try imageParts(input, stage.spec)
        let package = try models.package(for: stage)
        let image = try modelInput(planes, intensity, package, &context)
        let file = context.source.path
        let classes = package.outputNames
        let probabilities = try classProbabilities(image, package, file: file)
        let outcome = ClassificationOutcome(label: classes[Self.argmax(probabilities)],
                                            probabilities: Dictionary(
                                                uniqueKeysWithValues: zip(classes, probabilities)))
        context.classification = outcome
        if plan.spec.report.orbitCheck {
            let start = DispatchTime.now().uptimeNanoseconds
            let orbit = try OrbitChecker.classification(
                stage: CaseProcessor.label(stage.spec), group: package.metadata.group,
                input: image, identity: probabilities, classes: classes) { turned in
                    try context.checkTime()
                    return try classProbabilities(turned, package, file: file)
                }
            context.recordOrbit(orbit, startedAt: start)
        }
        return .classification(outcome)
    }

    /// The softmax probabilities, in class order, of the package's classifier on `image`
    /// (raw intensities, the model's channels), resized and normalised as the model expects.
    private func classProbabilities(_ image: ImagePlanes, _ package: ModelPackage,
                                    file: String) throws -> [Double] {
        let prepared = image
            .resizedBilinear(width: package.metadata.input.width,
                             height: package.metadata.input.height)
            .normalized(package.metadata.input.normalization)
        let logits = package.model.predict(prepared.tensor)
        guard logits.count == package.outputNames.count, logits.storage.allSatisfy(\.isFinite)
        else {
            throw StageFailure("\(file): model \(package.metadata.name) produced NaN or "
                               + "infinite outputs")
        }
        let top = logits.storage.max() ?? 0
        let exps = logits.storage.map { exp(Double($0 - top)) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }

    /// The index of the largest value (the first of ties).
    static func argmax(_ values: [Double]) -> Int {
        values.indices.max { values[$0] < values[$1] } ?? 0
    }

    private func segment(_ input: CaseValue?, _ stage: PlannedStage,
                         _ context: inout CaseContext) throws -> CaseValue {
        let (planes, intensity, geometry) = try imageParts(input, stage.spec)
        let package = try models.package(for: stage)
        let image = try modelInput(planes, intensity, package, &context)
        let file = context.source.path
        let overlap = stage.spec.numberValue("overlap")
        let probabilities = try segmentProbabilities(image, package, overlap: overlap,
                                                     file: file) { try context.checkTime() }
        let labels = package.outputNames
        if plan.spec.report.orbitCheck {
            let minDice = plan.spec.report.orbitMinDice
            let start = DispatchTime.now().uptimeNanoseconds
            let orbit = try OrbitChecker.segmentation(
                stage: CaseProcessor.label(stage.spec), group: package.metadata.group,
                input: image, identity: StageTransforms.argmax(probabilities),
                labels: labels.count, minDice: minDice) { turned in
                    StageTransforms.argmax(try segmentProbabilities(
                        turned, package, overlap: overlap, file: file) {
                            try context.checkTime()
                        })
                }
            context.recordOrbit(orbit, startedAt: start)
        }
        return .probabilities(probabilities, labels: labels, geometry)
    }

    /// One probability plane per label of the package's segmenter on `image` (raw
    /// intensities, the model's channels): normalised as the model expects, then sliding
    /// windows of the model's input size with `overlap`; `checkTime` runs before each batch
    /// of windows (the case's time limit).
    private func segmentProbabilities(_ image: ImagePlanes, _ package: ModelPackage,
                                      overlap: Double, file: String,
                                      checkTime: () throws -> Void) throws -> ImagePlanes {
        let normalized = image.normalized(package.metadata.input.normalization)
        let probabilities = try SlidingWindow.infer(
            normalized, window: (package.metadata.input.width, package.metadata.input.height),
            overlap: overlap, labels: package.outputNames.count) { batch in
                try checkTime()
                return package.model.predict(batch)
            }
        guard probabilities.values.allSatisfy(\.isFinite) else {
            throw StageFailure("\(file): model \(package.metadata.name) produced NaN or "
                               + "infinite outputs")
        }
        return probabilities
    }

    /// The image a model stage may give its model: raw intensities with the model's channels,
    /// from a scan the model's input specification accepts.
    private func modelInput(_ planes: ImagePlanes, _ intensity: IntensityState,
                            _ package: ModelPackage,
                            _ context: inout CaseContext) throws -> ImagePlanes {
        let file = context.source.path
        let name = package.metadata.name
        // A one-file case's scan must be one the model's input specification accepts (sample
        // type, colour model); nnU-Net channel files are checked by their count below.
        if let scan = context.scan, context.bytes.count == 1 {
            _ = try package.metadata.input.check(scan, file: file, expectedBy: "model \(name)")
        }
        guard intensity == .raw else {
            throw StageFailure("\(file): model \(name) normalises its input itself and needs "
                               + "raw intensities")
        }
        let channels = package.metadata.input.channels
        guard planes.channels == channels else {
            throw StageFailure("\(file): model \(name) expects \(channels) channel"
                               + "\(channels == 1 ? "" : "s"), the image has \(planes.channels)")
        }
        return planes
    }

    // MARK: Value access

    private func image(_ input: CaseValue?, _ spec: StageSpec) throws -> CaseValue {
        guard case .image? = input, let input else {
            throw wrongKind(input, spec, expected: "an image")
        }
        return input
    }

    private func imageParts(_ input: CaseValue?, _ spec: StageSpec) throws
        -> (ImagePlanes, IntensityState, ValueGeometry) {
        guard case .image(let planes, let intensity, let geometry)? = input else {
            throw wrongKind(input, spec, expected: "an image")
        }
        return (planes, intensity, geometry)
    }

    private func spatial(_ input: CaseValue?, _ spec: StageSpec) throws -> CaseValue {
        guard let input, input.geometry != nil else {
            throw wrongKind(input, spec, expected: "an image, probabilities or a mask")
        }
        return input
    }

    private func wrongKind(_ input: CaseValue?, _ spec: StageSpec,
                           expected: String) -> StageFailure {
        StageFailure("\(spec.op.rawValue) needs \(expected), but its input is "
                     + (input?.kindDescription ?? "missing"))
    }
}

extension StageSpec {
    /// A number parameter the validator guaranteed (set or defaulted).
    func numberValue(_ key: String) -> Double {
        switch parameters[key] {
        case .number(let value)?: return value
        case .integer(let value)?: return Double(value)
        default: preconditionFailure("validated stage lacks number \(key)")
        }
    }

    func integerValue(_ key: String) -> Int {
        guard case .integer(let value)? = parameters[key] else {
            preconditionFailure("validated stage lacks integer \(key)")
        }
        return value
    }

    func booleanValue(_ key: String) -> Bool {
        guard case .boolean(let value)? = parameters[key] else {
            preconditionFailure("validated stage lacks boolean \(key)")
        }
        return value
    }

    func sizeValue(_ key: String) -> (width: Int, height: Int) {
        guard case .size(let width, let height)? = parameters[key] else {
            preconditionFailure("validated stage lacks size \(key)")
        }
        return (width, height)
    }
}
