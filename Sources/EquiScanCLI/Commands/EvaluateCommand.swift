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
            consistency is the fraction of cases predicted identically under all of them.
            """)

    @Argument(help: "Model package folder (with metadata.json and weights.safetensors).")
    var model: String

    @Argument(help: "Labelled data folder or CSV.")
    var data: String

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func run() throws {
        let package = try ModelPackage.load(model)
        let report = try Evaluator.evaluate(package, data: data)
        // Once per run, on stderr so that --json output stays one object.
        for line in report.inputConversions { fputs("equiscan: \(line)\n", stderr) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("model \(report.model) (\(report.task.rawValue), \(report.group)), "
              + "\(report.cases) cases")
        let names = report.metrics.keys.sorted()
        print(pad("metric", 20) + pad("as given", 12) + "\(report.group)-avg")
        for name in names {
            print(pad(name, 20) + pad(String(format: "%.4f", report.metrics[name] ?? 0), 12)
                  + String(format: "%.4f", report.groupAverage[name] ?? 0))
        }
        print(String(format: "orbit consistency   %.4f", report.orbitConsistency))
        if let perClass = report.perClass {
            print(pad("class", 16) + pad("support", 9) + pad("precision", 11) + pad("recall", 9)
                  + pad("F1", 9) + "ROC AUC")
            for c in perClass {
                print(pad(c.name, 16) + pad("\(c.support)", 9)
                      + pad(String(format: "%.4f", c.precision), 11)
                      + pad(c.recall.map { String(format: "%.4f", $0) } ?? "-", 9)
                      + pad(c.f1.map { String(format: "%.4f", $0) } ?? "-", 9)
                      + (c.rocAUC.map { String(format: "%.4f", $0) } ?? "-"))
            }
        }
        if let confusion = report.confusion {
            print("confusion (rows: true, columns: predicted)")
            for row in confusion { print("  " + row.map { pad("\($0)", 6) }.joined()) }
        }
        if let perLabel = report.perLabel {
            print(pad("label", 16) + pad("Dice", 9) + pad("IoU", 9) + "HD95 (px)")
            for l in perLabel {
                print(pad(l.name, 16) + pad(l.dice.map { String(format: "%.4f", $0) } ?? "-", 9)
                      + pad(l.iou.map { String(format: "%.4f", $0) } ?? "-", 9)
                      + (l.hd95.map { String(format: "%.2f", $0) } ?? "-"))
            }
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
