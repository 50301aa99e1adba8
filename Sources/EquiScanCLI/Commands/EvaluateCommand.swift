import ArgumentParser
import Foundation
import ModelRuntime
import StrictJSON
import Training

/// `equiscan evaluate MODEL DATA [--json]`: metrics of a model package on a labelled set, as
/// given and under every element of the model's group.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a model package on labelled data, including group robustness.",
        discussion: """
            DATA is a folder per class (or a path,label CSV) for classifiers, and a folder \
            with images/ and labels/ for segmenters. The metrics are also computed with every \
            scan turned by each element of the model's group (C4-avg / D4-avg), and orbit \
            consistency is the fraction of cases predicted identically under all of them. \
            A case whose scan cannot be read is reported and left out; exit status 2 when \
            that happened, 66 when MODEL or DATA does not exist, 65 when they are invalid. \
            DATA holding a case the model trained or validated on (by the package's \
            training-cases.txt and validation-cases.txt: same SHA-256, under any name) is \
            refused with status 65, naming the file, unless --allow-seen. The metrics as \
            given carry 95 % percentile bootstrap confidence intervals over the cases (over \
            the scans for orientation models), from --resamples seeded draws.
            """)

    @Argument(help: "Model package folder (with metadata.json and weights.safetensors).")
    var model: String

    @Argument(help: "Labelled data folder or CSV.")
    var data: String

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    @Flag(help: "Report even on cases the model trained or validated on (not a test result).")
    var allowSeen = false

    @Option(help: "Bootstrap resamples of the cases for the confidence intervals.")
    var resamples = 1000

    @Option(help: "Seed of the bootstrap draws.")
    var bootstrapSeed: UInt64 = 0

    func validate() throws {
        guard resamples >= 1 else {
            throw ValidationError("--resamples must be 1 or more, got \(resamples)")
        }
    }

    func run() throws {
        let package = try ModelPackage.load(model)
        let report = try Evaluator.evaluate(
            package, data: data, allowSeen: allowSeen,
            bootstrap: BootstrapSettings(resamples: resamples, seed: bootstrapSeed))
        // Once per run, on stderr so that --json output stays one object.
        for line in report.inputConversions {
            StandardStreams.writeError("equiscan: \(line)\n")
        }
        for failure in report.failures {
            ErrorReporter.printError(ErrorReporter.oneLine(failure.error))
        }
        if !report.seenCases.isEmpty {
            StandardStreams.writeError("equiscan: \(report.seenCases.count) of the cases are "
                                       + "training or validation cases of model \(report.model) "
                                       + "(--allow-seen): these figures are not a test result\n")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            printTables(report)
        }
        if !report.failures.isEmpty {
            throw SilentExit(status: .someCasesFailed)
        }
    }

    private func printTables(_ report: EvaluationReport) {
        let skipped = report.failures.isEmpty ? ""
            : ", \(report.failures.count) not evaluated (see the errors)"
        print("model \(report.model) (\(report.task.rawValue), \(report.group)), "
              + "\(report.cases) cases" + skipped)
        if let grid = report.grid {
            print("segmentation metrics on the \(grid.space) grid "
                  + "(\(grid.width)x\(grid.height)), not the scans' own grids; "
                  + "HD95 in \(grid.hd95Unit)")
        }
        let names = report.metrics.keys.sorted()
        let level = Int(((report.bootstrap?.level ?? 0.95) * 100).rounded())
        print(pad("metric", 20) + pad("as given", 12) + pad("\(level) % CI", 19)
              + "\(report.group)-avg")
        for name in names {
            let interval = (report.confidenceIntervals[name] ?? nil)
                .map { "\(Self.figure($0.low))–\(Self.figure($0.high))" } ?? "-"
            print(pad(name, 20) + pad(Self.figure(report.metrics[name] ?? nil), 12)
                  + pad(interval, 19) + Self.figure(report.groupAverage[name] ?? nil))
        }
        if let bootstrap = report.bootstrap {
            print("confidence intervals: percentile bootstrap over \(bootstrap.unit)s, "
                  + "\(bootstrap.resamples) resamples, seed \(bootstrap.seed)")
        }
        print("orbit consistency   " + Self.figure(report.orbitConsistency))
        if let perClass = report.perClass {
            print(pad("class", 16) + pad("support", 9) + pad("precision", 11) + pad("recall", 9)
                  + pad("F1", 9) + "ROC AUC")
            for c in perClass {
                print(pad(c.name, 16) + pad("\(c.support)", 9) + pad(Self.figure(c.precision), 11)
                      + pad(Self.figure(c.recall), 9) + pad(Self.figure(c.f1), 9)
                      + Self.figure(c.rocAUC))
            }
        }
        if let confusion = report.confusion, let perClass = report.perClass {
            let names = perClass.map(\.name)
            let width = max(6, (names.map(\.count).max() ?? 0) + 1)
            print("confusion (rows: true, columns: predicted)")
            func line(_ cells: [String]) -> String {
                cells.dropLast().map { pad($0, width) }.joined() + (cells.last ?? "")
            }
            print(line([""] + names))
            for (name, row) in zip(names, confusion) {
                print(line([name] + row.map { "\($0)" }))
            }
        }
        if let perLabel = report.perLabel {
            // HD95 in mm comes with pixels beside it.
            let inMM = report.grid?.hd95Unit == "mm"
            print(pad("label", 16) + pad("Dice", 9) + pad("IoU", 9)
                  + (inMM ? pad("HD95 (mm)", 12) + "HD95 (px)" : "HD95 (px)"))
            for l in perLabel {
                print(pad(l.name, 16) + pad(Self.figure(l.dice), 9) + pad(Self.figure(l.iou), 9)
                      + (inMM ? pad(Self.figure(l.hd95, decimals: 3), 12) : "")
                      + Self.figure(l.hd95Pixels ?? l.hd95, decimals: 2))
            }
        }
    }

    /// A metric with `decimals` places, or "-" where it is undefined.
    private static func figure(_ value: Double?, decimals: Int = 4) -> String {
        value.map { String(format: "%.\(decimals)f", $0) } ?? "-"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
