import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import ModelRuntime
import NeuralNet
import Reports
import SafeFiles
import StrictJSON
import TensorCore

/// Settings of one training run that are not part of the config.
public struct TrainingOptions {
    /// Folder that relative data paths in the config are resolved against.
    public var dataRoot: String
    /// Package folder to write (checkpoints go to its `checkpoint/` subfolder).
    public var output: String
    /// Continue from the last checkpoint in `output` instead of starting afresh.
    public var resume: Bool
    /// Stop (as if interrupted) after this many epochs in total; for tests of `resume`.
    public var stopAfterEpoch: Int?
    /// Decoder of scans; injectable for tests.
    public var decode: (String) throws -> Scan
    /// The config's text as given; written to the package as `training-config.json` so that
    /// everything that decided the weights (schedule, weight decay, class weights, repeats …)
    /// travels with them. Nil = not written.
    public var configText: String?

    public init(dataRoot: String, output: String, resume: Bool = false,
                stopAfterEpoch: Int? = nil, configText: String? = nil,
                decode: @escaping (String) throws -> Scan = { try ImageDecoder.decode(path: $0) }) {
        self.dataRoot = dataRoot
        self.output = output
        self.resume = resume
        self.stopAfterEpoch = stopAfterEpoch
        self.configText = configText
        self.decode = decode
    }
}

/// What a training run reports while it works.
public enum TrainingEvent {
    /// `testCases` are listed in the package, never read.
    case started(trainCases: Int, validationCases: Int, testCases: Int, parameters: Int,
                 firstEpoch: Int, epochs: Int, stepsPerEpoch: Int)
    /// After each optimiser step: running mean loss of the epoch, throughput, time left.
    case step(epoch: Int, step: Int, steps: Int, loss: Double, imagesPerSecond: Double,
              secondsLeft: Double)
    case epochFinished(EpochRecord, isBest: Bool)
    case stoppedEarly(epoch: Int, bestEpoch: Int)
    case interrupted(epoch: Int)
    case finished(package: String)
}

/// The outcome of `Trainer.run()`.
public struct TrainingResult {
    public var log: [EpochRecord]
    public var bestEpoch: Int
    /// Nil when the run stopped early on purpose (`stopAfterEpoch`) before finishing.
    public var package: String?
}

/// State saved after every epoch: with the weight and optimiser files it lets `--resume`
/// continue exactly where the run stopped.
struct CheckpointState: Codable {
    /// The config the run was started with (compact JSON), to refuse resuming another one.
    var config: String
    var epochsDone: Int
    /// Data-order and augmentation generator.
    var generator: SeededGenerator
    var bestValue: Double?
    var bestEpoch: Int
    var epochsWithoutImprovement: Int
    var log: [EpochRecord]
    var stoppedEarly: Bool
    /// Generator state (four words) of every `RandomStateModule` (dropout layers), by module
    /// name; nil in checkpoints written before it was recorded.
    var moduleGenerators: [String: [UInt64]]? = nil
}

/// Trains a model from a validated config and writes a model package.
///
/// Per epoch: shuffle the training cases with the run's seeded generator, augment each case,
/// take optimiser steps on batches, evaluate the validation set, append a log row, and save a
/// checkpoint (weights, optimiser state, generator state). The package holds the weights of the
/// best epoch by the monitored validation metric.
public final class Trainer {
    public let config: TrainingConfig
    public let options: TrainingOptions
    let progress: (TrainingEvent) -> Void

    public init(config: TrainingConfig, options: TrainingOptions,
                progress: @escaping (TrainingEvent) -> Void = { _ in }) {
        self.config = config
        self.options = options
        self.progress = progress
    }

    var checkpointFolder: String {
        (options.output as NSString).appendingPathComponent("checkpoint")
    }

    func checkpointPath(_ name: String) -> String {
        (checkpointFolder as NSString).appendingPathComponent(name)
    }

    /// Runs training to the end (or to early stopping, or `stopAfterEpoch`).
    public func run() throws -> TrainingResult {
        // The test part is listed here and recorded in the package, never opened.
        let split = try DatasetIndex.load(config.data, task: config.task,
                                          dataRoot: options.dataRoot, seed: config.splitSeed)
        let (trainIndex, validationIndex) = (split.train, split.validation)
        let classNames = trainIndex.classNames
        let loader = CaseLoader(input: config.input, labelClasses: config.data.labels,
                                cache: config.data.cache,
                                caseCount: trainIndex.cases.count + validationIndex.cases.count,
                                decode: options.decode)
        loader.assumedPixelSize = config.data.pixelSpacing.map { PixelSize(x: $0[1], y: $0[0]) }
        // An orientation model is run on scans its scorer resizes with an antialiased filter
        // (`canonicalize`, the pipeline stage), so its epoch and thresholds are chosen on
        // validation scans resized that way; training batches keep plain bilinear resizing,
        // whose aliasing varies the training scans (chosen on validation: see the sample
        // models' notes).
        let validationLoader: CaseLoader
        if config.task == .orientation {
            validationLoader = CaseLoader(input: config.input, cache: config.data.cache,
                                          caseCount: validationIndex.cases.count,
                                          decode: options.decode)
            validationLoader.assumedPixelSize = loader.assumedPixelSize
            validationLoader.antialiased = true
        } else {
            validationLoader = loader
        }
        let classCount = config.task == .orientation ? config.model.group.order : classNames.count
        let model = try ModelFactory.build(config.model, input: config.input,
                                           classCount: classCount, seed: config.seed)
        let module = model.module
        let optimizer = makeOptimizer(module)
        let classWeights = try resolveClassWeights(trainIndex, loader: loader)
        let augmenter = Augmenter(spec: config.augmentation, group: config.model.group)
        let configText = try canonicalConfigText()

        var state = CheckpointState(config: configText, epochsDone: 0,
                                    generator: SeededGenerator(seed: config.seed ^ 0xDA7A_0DE5),
                                    bestValue: nil, bestEpoch: 0, epochsWithoutImprovement: 0,
                                    log: [], stoppedEarly: false)
        // Nothing is written until every input is known to be good: a bad scan found in a
        // late epoch would waste the epochs before it and leave a half-made output folder.
        var pixelSizes: [PixelSize?] = []
        for dataCase in trainIndex.cases + validationIndex.cases {
            pixelSizes.append(try loader.load(dataCase).pixelSizeMM)
        }
        if options.resume {
            state = try restore(into: module, optimizer: optimizer, configText: configText)
        } else {
            try refuseExistingPackage()
        }
        try OutputModes.createFolder(checkpointFolder)

        let batchSize = config.training.batchSize
        let visits = trainIndex.cases.count * config.data.repeats
        let steps = (visits + batchSize - 1) / batchSize
        progress(.started(trainCases: trainIndex.cases.count,
                          validationCases: validationIndex.cases.count,
                          testCases: split.test.cases.count,
                          parameters: module.trainableParameterCount,
                          firstEpoch: state.epochsDone + 1, epochs: config.training.epochs,
                          stepsPerEpoch: steps))

        while state.epochsDone < config.training.epochs && !state.stoppedEarly {
            if let stop = options.stopAfterEpoch, state.epochsDone >= stop {
                progress(.interrupted(epoch: state.epochsDone))
                return TrainingResult(log: state.log, bestEpoch: state.bestEpoch, package: nil)
            }
            let epoch = state.epochsDone
            let rate = config.training.learningRate(epoch: epoch)
            optimizer.learningRate = Float(rate)
            let started = Date()
            module.train()
            var order = (0..<visits).map { $0 % trainIndex.cases.count }
            state.generator.shuffle(&order)
            var lossSum = 0.0
            for step in 0..<steps {
                let members = order[(step * batchSize)..<min(order.count, (step + 1) * batchSize)]
                var items: [LoadedCase] = []
                for index in members {
                    var item = augmenter.augment(try loader.load(trainIndex.cases[index]),
                                                 generator: &state.generator)
                    if config.task == .orientation {
                        let group = ModelFactory.group(config.model.group)
                        let k = state.generator.nextInt(below: group.order)
                        item.image = group.transform(item.image, by: group.element(at: k))
                        item.classIndex = k
                    }
                    items.append(item)
                }
                let batch = Batch(items)
                optimizer.zeroGradients()
                let (logits, prior) = model.trainingForward(batch.images)
                var loss = lossVariable(logits: logits, batch: batch, classWeights: classWeights)
                if let prior {
                    loss = ScoreLosses.weightedSum([(1, loss), (prior.weight, prior.loss)])
                }
                loss.backward()
                if let clip = config.training.gradientClipNorm {
                    clipGradientNorm(optimizer.parameters, maximumNorm: Float(clip))
                }
                optimizer.step()
                lossSum += Double(loss.value.storage[0])
                let elapsed = Date().timeIntervalSince(started)
                let seen = min(order.count, (step + 1) * batchSize)
                let perStep = elapsed / Double(step + 1)
                let stepsLeft = Double(steps - step - 1)
                    + Double(steps) * Double(config.training.epochs - epoch - 1)
                progress(.step(epoch: epoch + 1, step: step + 1, steps: steps,
                               loss: lossSum / Double(step + 1),
                               imagesPerSecond: Double(seen) / max(elapsed, 1e-9),
                               secondsLeft: perStep * stepsLeft))
            }
            let trainSeconds = Date().timeIntervalSince(started)
            let validation = try evaluate(model, index: validationIndex, loader: validationLoader,
                                          classNames: classNames, classWeights: classWeights)
            let record = EpochRecord(epoch: epoch + 1, learningRate: rate,
                                     trainLoss: lossSum / Double(max(steps, 1)),
                                     validationLoss: validation.loss, metrics: validation.metrics,
                                     seconds: Date().timeIntervalSince(started),
                                     imagesPerSecond: Double(order.count) / max(trainSeconds, 1e-9))
            state.log.append(record)
            state.epochsDone = epoch + 1
            let value = config.training.monitor == "loss" ? validation.loss
                : validation.metrics[config.training.monitor] ?? 0
            let improved = isImprovement(value, over: state.bestValue)
            if improved {
                state.bestValue = value
                state.bestEpoch = epoch + 1
                state.epochsWithoutImprovement = 0
            } else {
                state.epochsWithoutImprovement += 1
            }
            if let patience = config.training.patience,
               state.epochsWithoutImprovement >= patience {
                state.stoppedEarly = true
            }
            state.moduleGenerators = Self.moduleGenerators(of: module)
            try saveCheckpoint(state, module: module, optimizer: optimizer, isBest: improved)
            progress(.epochFinished(record, isBest: improved))
            if state.stoppedEarly {
                progress(.stoppedEarly(epoch: epoch + 1, bestEpoch: state.bestEpoch))
            }
        }

        let best = try SafeTensors.read(
            from: URL(fileURLWithPath: checkpointPath("best.safetensors")))
        try module.load(stateDictionary: best.tensors)
        module.eval()
        // Abstention thresholds are chosen on validation cases, like the epoch.
        let calibration = config.task == .orientation && !validationIndex.cases.isEmpty
            ? try OrientationPoses(model: model, cases: validationIndex.cases,
                                   loader: validationLoader,
                                   group: ModelFactory.group(config.model.group),
                                   batchSize: config.training.batchSize)
                .calibration(targetAccuracy: Self.poseTargetAccuracy)
            : nil
        try writePackage(model: model, state: state, split: split,
                         input: Self.recordedInput(config.input, formats: loader.sampleFormats
                                                    .union(validationLoader.sampleFormats)),
                         calibration: calibration,
                         inputPixelSize: pixelSizes.allSatisfy { $0 == pixelSizes.first }
                            ? pixelSizes.first ?? nil : nil)
        progress(.finished(package: options.output))
        return TrainingResult(log: state.log, bestEpoch: state.bestEpoch, package: options.output)
    }

    func isImprovement(_ value: Double, over best: Double?) -> Bool {
        guard let best else { return true }
        let delta = config.training.minimumDelta
        return config.training.monitorMaximizes ? value > best + delta : value < best - delta
    }

    func makeOptimizer(_ module: Module) -> any Optimizer {
        let t = config.training
        switch t.optimizer {
        case .sgd:
            return SGD(module: module, learningRate: Float(t.learningRate),
                       momentum: Float(t.momentum), weightDecay: Float(t.weightDecay))
        case .adam:
            return Adam(module: module, learningRate: Float(t.learningRate),
                        weightDecay: Float(t.weightDecay))
        case .adamw:
            return AdamW(module: module, learningRate: Float(t.learningRate),
                         weightDecay: Float(t.weightDecay))
        }
    }

    /// Per-class loss weights: explicit, or inverse frequency normalised to mean 1 (class
    /// counts for classification, pixel counts over the training label maps for segmentation).
    func resolveClassWeights(_ index: DatasetIndex, loader: CaseLoader) throws -> [Float]? {
        switch config.training.classWeights {
        case .none:
            return nil
        case .explicit(let weights):
            guard weights.count == index.classNames.count else {
                throw ConfigError(path: ConfigPath.root.appending("training")
                                    .appending("classWeights"),
                                  message: "expected \(index.classNames.count) weights (one per "
                                  + "class of the data), got \(weights.count)")
            }
            return weights.map(Float.init)
        case .balanced:
            var counts = [Double](repeating: 0, count: index.classNames.count)
            if config.task == .classification {
                counts = index.classCounts.map(Double.init)
            } else {
                for c in index.cases {
                    for v in try loader.load(c).labels?.values ?? [] { counts[Int(v)] += 1 }
                }
            }
            let present = counts.filter { $0 > 0 }
            let inverse = counts.map { $0 > 0 ? 1 / $0 : 0 }
            let mean = inverse.reduce(0, +) / Double(max(present.count, 1))
            return inverse.map { Float($0 / mean) }
        }
    }

    func lossVariable(logits: Variable, batch: Batch, classWeights: [Float]?) -> Variable {
        switch config.task {
        case .orientation where config.training.loss == .rotationCrossEntropy:
            let group = ModelFactory.group(config.model.group)
            return Functional.pooledCrossEntropy(
                logits: logits, targets: batch.classes.map(Int32.init),
                pools: group.elements.map(\.rotation))
        case .classification, .orientation:
            return Functional.crossEntropy(logits: logits, targets: batch.classes.map(Int32.init),
                                           classWeights: classWeights)
        case .segmentation:
            switch config.training.loss {
            case .crossEntropy:
                return Functional.crossEntropy(logits: logits, targets: batch.labelMaps,
                                               classWeights: classWeights)
            case .dice:
                return Functional.softDice(logits: logits, targets: batch.labelMaps,
                                           classWeights: classWeights)
            case .rotationCrossEntropy:
                preconditionFailure("rotationCrossEntropy trains orientation models only")
            case .crossEntropyDice:
                return Functional.weightedSum([
                    (1, Functional.crossEntropy(logits: logits, targets: batch.labelMaps,
                                                classWeights: classWeights)),
                    (1, Functional.softDice(logits: logits, targets: batch.labelMaps,
                                            classWeights: classWeights)),
                ])
            }
        }
    }

    /// A fresh run never replaces a trained package or its checkpoint: that is what
    /// `--resume` is for, and a new model belongs in its own folder.
    func refuseExistingPackage() throws {
        for name in [ModelPackage.metadataFile, ModelPackage.weightsFile, "checkpoint"] {
            let path = (options.output as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) {
                throw SafeFileError(.invalidDestination, path: options.output,
                                    "already holds a model package or checkpoint (\(name)); "
                                    + "choose another --output, or pass --resume to continue "
                                    + "its checkpoint")
            }
        }
    }

    /// Validation loss (cross-entropy) and metrics, in eval mode, without gradients.
    func evaluate(_ model: PackagedModel, index: DatasetIndex, loader: CaseLoader,
                  classNames: [String], classWeights: [Float]?) throws
        -> (loss: Double, metrics: [String: Double]) {
        model.module.eval()
        defer { model.module.train() }
        let group = ModelFactory.group(config.model.group)
        let poses = group.elements
        var collector: PredictionCollector
        switch config.task {
        case .classification: collector = PredictionCollector(.classification(
            classNames: classNames))
        case .segmentation: collector = PredictionCollector(.segmentation(
            labelNames: classNames, hausdorff: false))
        case .orientation: collector = PredictionCollector(.orientation(group: group))
        }
        var lossSum = 0.0
        try EvaluationLoop(model: model, batchSize: config.training.batchSize).run(
            count: index.cases.count,
            prepare: { i in
                var item = try loader.load(index.cases[i])
                if config.task == .orientation {
                    // Every validation case in a fixed pose: the case number decides which, so
                    // the figure does not depend on random draws.
                    item.image = group.transform(item.image, by: poses[i % poses.count])
                    item.classIndex = i % poses.count
                }
                return item
            },
            visit: { batch, _, items, outputs in
                let loss = GradientTape.withoutRecording {
                    lossVariable(logits: Variable(outputs), batch: batch,
                                 classWeights: classWeights)
                }
                lossSum += Double(loss.value.storage[0]) * Double(items.count)
                collector.add(batch, items: items, outputs: outputs)
            })
        // An undefined metric (no foreground anywhere) is left out, not logged as 0.
        return (lossSum / Double(max(index.cases.count, 1)),
                collector.scalars.compactMapValues { $0 })
    }


    func canonicalConfigText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(ConfigFingerprint(config)), as: UTF8.self)
    }

    // MARK: - Checkpoints

    /// Writes the epoch's weights and optimiser state under names that carry the epoch, then
    /// `state.json` (the commit point), then removes the previous epoch's files: an
    /// interruption at any moment leaves a consistent checkpoint.
    func saveCheckpoint(_ state: CheckpointState, module: Module, optimizer: any Optimizer,
                        isBest: Bool) throws {
        let tag = String(format: "epoch-%04d", state.epochsDone)
        try SafeTensors.write(module.stateDictionary(),
                              to: URL(fileURLWithPath: checkpointPath("\(tag).model.safetensors")))
        try SafeTensors.write(optimizer.stateDictionary(),
                              to: URL(fileURLWithPath: checkpointPath(
                                "\(tag).optimizer.safetensors")))
        if isBest {
            try SafeTensors.write(module.stateDictionary(),
                                  to: URL(fileURLWithPath: checkpointPath("best.safetensors")))
        }
        try AtomicFile.writeJSON(state, to: checkpointPath("state.json"))
        let previous = String(format: "epoch-%04d", state.epochsDone - 1)
        for suffix in ["model", "optimizer"] {
            try? FileManager.default.removeItem(
                atPath: checkpointPath("\(previous).\(suffix).safetensors"))
        }
    }

    func restore(into module: Module, optimizer: any Optimizer,
                 configText: String) throws -> CheckpointState {
        let statePath = checkpointPath("state.json")
        guard let data = FileManager.default.contents(atPath: statePath) else {
            throw DataError(.missing, file: statePath, "no checkpoint to resume from")
        }
        // Checkpoints from before the data-order generator became `SeededGenerator` (or
        // damaged ones) do not decode; they cannot continue the same stream.
        guard let state = try? JSONDecoder().decode(CheckpointState.self, from: data) else {
            throw DataError(.mismatch, file: statePath, "the checkpoint state cannot be read by "
                            + "this version; start afresh without --resume")
        }
        guard state.config == configText else {
            throw DataError(.mismatch, file: statePath, "the checkpoint was made with a different "
                            + "config; start afresh without --resume or use the original config")
        }
        let tag = String(format: "epoch-%04d", state.epochsDone)
        let weights = try SafeTensors.read(
            from: URL(fileURLWithPath: checkpointPath("\(tag).model.safetensors")))
        try module.load(stateDictionary: weights.tensors)
        let optimizerState = try SafeTensors.read(
            from: URL(fileURLWithPath: checkpointPath("\(tag).optimizer.safetensors")))
        try optimizer.load(stateDictionary: optimizerState.tensors)
        if let saved = state.moduleGenerators {
            for (name, module) in module.namedModules() {
                guard let random = module as? any RandomStateModule else { continue }
                guard let words = saved[name], words.count == 4, words.contains(where: { $0 != 0 })
                else {
                    throw DataError(.mismatch, file: statePath, "the checkpoint has no valid "
                                    + "generator state for module '\(name)'")
                }
                random.generator = SeededGenerator(state: words)
            }
        }
        return state
    }

    /// The generator states of `module`'s random modules (dropout layers), by module name.
    static func moduleGenerators(of module: Module) -> [String: [UInt64]] {
        var states: [String: [UInt64]] = [:]
        for (name, child) in module.namedModules() {
            if let random = child as? any RandomStateModule {
                states[name] = random.generator.state
            }
        }
        return states
    }

    // MARK: - Package

    /// The config's input with the sample format of the training scans recorded, when the
    /// config left it open and every scan had the same one, so that inference can refuse
    /// scans of another depth under a fixed window.
    static func recordedInput(_ input: InputSpec, formats: Set<SampleFormat>) -> InputSpec {
        var recorded = input
        if input.sampleType == nil, formats.count == 1, let format = formats.first {
            recorded.sampleType = format.type
            recorded.bitsPerSample = format.bits
        }
        return recorded
    }

    /// The accuracy an orientation model's abstention thresholds ask of the poses it acts on.
    public static let poseTargetAccuracy = 0.98

    func writePackage(model: PackagedModel, state: CheckpointState, split: DataSplit,
                      input: InputSpec, calibration: ModelMetadata.PoseCalibration?,
                      inputPixelSize: PixelSize? = nil) throws {
        let folder = options.output
        let (train, validation) = (split.train, split.validation)
        let weightsPath = (folder as NSString).appendingPathComponent(ModelPackage.weightsFile)
        try model.save(weightsTo: weightsPath, metadata: ["equiscan.package": config.name,
                                                          "equiscan.version": config.version])
        guard let weights = FileManager.default.contents(atPath: weightsPath) else {
            throw DataError(.missing, file: weightsPath, "weights vanished after writing")
        }
        var canonicalizerReference: ModelMetadata.WeightsReference?
        if case .canonicalized = model {
            let path = PackagedModel.canonicalizerPath(besideWeights: weightsPath)
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw DataError(.missing, file: path,
                                "canonicalizer weights vanished after writing")
            }
            canonicalizerReference = .init(file: ModelPackage.canonicalizerFile,
                                           sha256: ContentHash.hex([UInt8](bytes)))
        }
        let best = state.log.first { $0.epoch == state.bestEpoch }
        var perClass: [String: Int]?
        if config.task == .classification {
            perClass = Dictionary(uniqueKeysWithValues: zip(train.classNames, train.classCounts))
        }
        var validationMetrics = best?.metrics ?? [:]
        validationMetrics["loss"] = best?.validationLoss
        var trainingData = ModelMetadata.TrainingDataSummary(
            train: config.data.train, validation: config.data.validation,
            validationFraction: config.data.validation.isEmpty
                ? config.data.validationFraction : nil,
            trainCases: train.cases.count, validationCases: validation.cases.count,
            trainCasesPerClass: perClass)
        trainingData.test = config.data.test
        trainingData.testFraction = config.data.test.isEmpty ? config.data.testFraction : nil
        trainingData.testCases = split.test.cases.count
        trainingData.groupPattern = config.data.groupPattern
        trainingData.groupBlock = config.data.groupBlock
        trainingData.splitSeed = config.data.splitSeed
        trainingData.pixelSpacing = config.data.pixelSpacing
        if config.task == .segmentation {
            trainingData.inputPixelSpacing = inputPixelSize.map { [$0.y, $0.x] }
        }
        var metadata = ModelMetadata(
            formatVersion: 1, name: config.name, version: config.version,
            description: config.description, task: config.task,
            architecture: model.architecture, group: config.model.group,
            classes: config.task == .classification ? train.classNames : nil,
            labels: config.task == .segmentation ? config.data.labels : nil,
            input: input,
            trainingData: trainingData,
            training: .init(seed: config.seed, epochsRun: state.epochsDone,
                            bestEpoch: state.bestEpoch, monitor: config.training.monitor,
                            optimizer: config.training.optimizer.rawValue,
                            learningRate: config.training.learningRate,
                            batchSize: config.training.batchSize,
                            loss: config.training.loss.rawValue,
                            augmentation: config.augmentation, model: config.model,
                            stoppedEarly: state.stoppedEarly),
            validationMetrics: validationMetrics,
            weights: .init(file: ModelPackage.weightsFile,
                           sha256: ContentHash.hex([UInt8](weights))),
            canonicalizer: canonicalizerReference,
            notice: ModelMetadata.researchNotice)
        metadata.reproducibility = .current(seed: config.seed)
        if let calibration {
            metadata.calibration = calibration
            metadata.minConfidence = calibration.rotation.threshold
            metadata.mirrorMinConfidence = calibration.mirror?.threshold
            // A scorer trained on quarter turns alone was never taught mirror images apart, so
            // its mirror guess is not acted on, whatever a threshold reached on validation.
            metadata.mirrorIdentifiable = config.training.loss == .rotationCrossEntropy
                ? false : calibration.mirror?.reachesTarget
        }
        try AtomicFile.writeJSON(metadata,
                                 to: (folder as NSString).appendingPathComponent("metadata.json"))
        try writeCaseLists(split, package: folder)
        if let text = options.configText {
            try AtomicFile.write(text, to: (folder as NSString)
                .appendingPathComponent(ModelPackage.trainingConfigFile))
        }
        try AtomicFile.write(TrainingLog.csv(state.log),
                             to: (folder as NSString).appendingPathComponent("training-log.csv"))
        let epochs = state.log
        let lossSeries = [("train", epochs.map(\.trainLoss)),
                          ("validation", epochs.map(\.validationLoss))]
        try AtomicFile.write(SVGChart.lines(title: "\(config.name): loss", xLabel: "epoch",
                                            yLabel: "loss", series: lossSeries),
                             to: (folder as NSString).appendingPathComponent("loss.svg"))
        let metricNames = Array(Set(epochs.flatMap(\.metrics.keys))).sorted()
        try AtomicFile.write(SVGChart.lines(
            title: "\(config.name): validation metrics", xLabel: "epoch", yLabel: "value",
            series: metricNames.map { name in (name, epochs.map { $0.metrics[name] ?? .nan }) }),
                             to: (folder as NSString).appendingPathComponent("metrics.svg"))
    }
}

extension Trainer {
    /// Writes the package's three case lists (`PackageCaseList`), paths relative to the data
    /// root, so that `equiscan evaluate` can refuse seen cases and be rerun on exactly the test
    /// cases. Training and validation files are hashed (they were read anyway); test files are
    /// listed by path only, never opened.
    func writeCaseLists(_ split: DataSplit, package folder: String) throws {
        let rootPrefix = (options.dataRoot as NSString).standardizingPath + "/"
        func relative(_ path: String) -> String {
            let standard = (path as NSString).standardizingPath
            return standard.hasPrefix(rootPrefix) ? String(standard.dropFirst(rootPrefix.count))
                : standard
        }
        let parts: [(PackageCaseList.Part, DatasetIndex)] = [
            (.training, split.train), (.validation, split.validation), (.test, split.test),
        ]
        for (part, index) in parts {
            let entries = try index.cases.flatMap { c -> [PackageCaseList.Entry] in
                var paths = [c.image]
                if case .labelMap(let label) = c.target { paths.append(label) }
                return try paths.map { path in
                    PackageCaseList.Entry(path: relative(path), sha256: part == .test
                                          ? nil : try ContentHash.hex(fileAt: path))
                }
            }
            try PackageCaseList(part: part, entries: entries).write(package: folder)
        }
    }
}

/// The parts of a config that decide the numbers a run produces (all of it), in a stable
/// encodable form for the checkpoint's "same config" check.
struct ConfigFingerprint: Encodable {
    let text: String
    init(_ config: TrainingConfig) { text = String(describing: config) }
}
