import ArgumentParser
import Canonicalization
import Foundation
import ModelRuntime
import SafeFiles
import StrictJSON
import TensorCore
import Training

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `equiscan train CONFIG.json [--resume] [--output DIR] [--data-root DIR]`: validates the
/// config, trains, checkpoints every epoch and writes a model package.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an equivariant classifier, segmenter or orientation canonicalizer.",
        discussion: """
            The config is validated completely before any data is read (see docs/training.md). \
            A checkpoint is written after every epoch; --resume continues from it exactly. On \
            a terminal a live line shows epoch, step, loss, images/s and time left; otherwise \
            one line is printed per epoch. Nothing is written until the config and every scan \
            have been read. Exit status: 0 done; 65 invalid config or data; 66 a file or \
            folder is missing; 75 interrupted or an output could not be written.
            """)

    @Argument(help: "Training config (JSON).")
    var config: String

    @Flag(help: "Continue from the last checkpoint in the output folder.")
    var resume = false

    @Option(help: "Model package folder to write (default: ./<name> from the config).")
    var output: String?

    @Option(help: "Folder that relative data paths resolve against (default: the config's).")
    var dataRoot: String?

    @Flag(help: "Only validate the config and print a summary; do not train.")
    var validateOnly = false

    @Option(help: "Compute threads (default: min(2, cores)); same seed + threads = same bits.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be 1 or more, got \(threads)")
        }
    }

    func run() throws {
        ProtectedInputs.shared.protect([config])
        if EGNNTrainingConfig.isEGNN(path: config) { return try trainEGNN() }
        let (parsed, configText) = try TrainingConfig.loadWithText(path: config)
        let root = dataRoot ?? (config as NSString).deletingLastPathComponent
        let folder = output ?? parsed.name
        if validateOnly {
            // Indexing lists the data folders (no scan is decoded), so a missing or
            // misnamed path fails here as it would in training.
            let split = try DatasetIndex.load(
                parsed.data, task: parsed.task, dataRoot: root.isEmpty ? "." : root,
                seed: parsed.splitSeed)
            print("\(config): valid \(parsed.task.rawValue) config \"\(parsed.name)\" "
                  + "(\(parsed.model.kind.rawValue), \(parsed.model.group.rawValue), "
                  + "\(parsed.training.epochs) epochs; \(split.train.cases.count) training, "
                  + "\(split.validation.cases.count) validation and "
                  + "\(split.test.cases.count) test cases)")
            return
        }
        if let threads { ThreadPolicy.workerCount = threads }
        let display = ProgressDisplay(interactive: isatty(STDERR_FILENO) == 1)
        let trainer = Trainer(config: parsed,
                              options: TrainingOptions(dataRoot: root.isEmpty ? "." : root,
                                                       output: folder, resume: resume,
                                                       configText: configText),
                              progress: display.handle)
        _ = try trainer.run()
    }

    /// A continuous (EGNN) orientation package: its own config (`EGNNTrainingConfig`), trained
    /// in one pass without checkpoints.
    private func trainEGNN() throws {
        guard !resume else {
            throw CommandFailure(.usage, "\(config): EGNN training has no checkpoints to "
                                 + "resume from; run it without --resume")
        }
        let (parsed, configText) = try EGNNTrainingConfig.loadWithText(path: config)
        let root = dataRoot ?? (config as NSString).deletingLastPathComponent
        if validateOnly {
            print("\(config): valid EGNN orientation config \"\(parsed.name)\" "
                  + "(\(parsed.model.group.rawValue), \(parsed.training.steps) steps)")
            return
        }
        if let threads { ThreadPolicy.workerCount = threads }
        let folder = output ?? parsed.name
        try EGNNTraining.run(parsed, dataRoot: root.isEmpty ? "." : root, output: folder,
                             configText: configText) {
            StandardStreams.writeError($0 + "\n")
        }
        StandardStreams.writeError("model package written to \(folder)\n")
    }
}

/// Shows training progress: a live, rewritten line on a terminal, one line per epoch otherwise.
final class ProgressDisplay {
    let interactive: Bool
    private var lastDraw = Date.distantPast

    init(interactive: Bool) { self.interactive = interactive }

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .started(train, validation, test, parameters, firstEpoch, epochs, steps):
            let testPart = test == 0 ? "" : " (\(test) test cases listed, not read)"
            emit("training on \(train) cases, validating on \(validation)\(testPart); "
                 + "\(parameters) parameters; epochs \(firstEpoch)...\(epochs), "
                 + "\(steps) steps each")
        case let .step(epoch, step, steps, loss, rate, left):
            guard interactive, step == steps || Date().timeIntervalSince(lastDraw) > 0.2 else {
                return
            }
            lastDraw = Date()
            let line = String(format: "epoch %d  step %d/%d  loss %.4f  %.1f img/s  ETA %@",
                              epoch, step, steps, loss, rate, Self.duration(left))
            StandardStreams.writeError("\r\u{1B}[K" + line)
        case let .epochFinished(record, isBest):
            if interactive { StandardStreams.writeError("\r\u{1B}[K") }
            let metrics = record.metrics.keys.sorted()
                .map { String(format: "%@ %.4f", $0, record.metrics[$0] ?? 0) }
                .joined(separator: "  ")
            emit(String(format: "epoch %d  lr %.3g  loss %.4f  val loss %.4f  ", record.epoch,
                        record.learningRate, record.trainLoss, record.validationLoss)
                 + metrics + String(format: "  %.1fs", record.seconds) + (isBest ? "  *" : ""))
        case let .stoppedEarly(epoch, best):
            emit("early stop after epoch \(epoch); best epoch \(best)")
        case let .interrupted(epoch):
            emit("stopped after epoch \(epoch)")
        case let .finished(package):
            emit("model package written to \(package)")
        }
    }

    private func emit(_ line: String) {
        if interactive {
            StandardStreams.writeError(line + "\n")
        } else {
            print(line)
            StandardStreams.flushOutput()
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60)
            : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
