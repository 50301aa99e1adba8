import Foundation
import ImageCodecs
import ModelRuntime
import Reports
import SafeFiles

/// Runs every stage of a plan on one case inside an error boundary: whatever goes wrong (an
/// unreadable scan, a wrong size, NaN from a model) becomes a failed record naming the stage
/// and the reason, and the batch goes on. One processor per worker thread.
final class CaseProcessor {
    let plan: PipelinePlan
    let outputFolder: String
    private let runtime: StageRuntime

    init(plan: PipelinePlan, outputFolder: String) {
        self.plan = plan
        self.outputFolder = outputFolder
        runtime = StageRuntime(plan: plan, models: WorkerModels(),
                               writer: CaseOutputWriter(outputFolder: outputFolder,
                                                        layout: plan.spec.outputs.layout))
    }

    /// The label a stage has in records and messages: `"3 Segment"`.
    static func label(_ stage: StageSpec) -> String {
        "\(stage.index) \(stage.op.rawValue)"
    }

    /// Runs the case on the file's `bytes` (whose digest is `inputSHA256`) and returns its
    /// record, not yet written.
    func process(_ source: CaseSource, bytes: [[UInt8]], inputSHA256: String,
                 timeLimit: Double? = nil)
        -> (record: CaseRecord, outputs: [(path: String, sha256: String)]) {
        var record = CaseRecord(case: source.id, input: source.path, inputSHA256: inputSHA256)
        var context = CaseContext(source: source, bytes: bytes, timeLimit: timeLimit)
        for stage in plan.stages {
            let label = Self.label(stage.spec)
            let start = DispatchTime.now().uptimeNanoseconds
            let orbitBefore = context.orbitSeconds
            do {
                try runtime.run(stage.spec.index, &context)
            } catch {
                record.status = .failed
                record.error = CaseRecord.Failure(stage: label,
                                                  message: Self.message(error, file: source.path))
                break
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                - (context.orbitSeconds - orbitBefore)
            record.stageSeconds[label] = Self.microseconds(seconds)
        }
        record.outputs = context.outputs.map(\.path)
        record.pose = context.pose
        record.classification = context.classification
        if record.status == .ok, let mask = context.finalMask {
            record.segmentation = Self.segmentation(mask, file: context.maskFile)
        }
        if record.status == .ok, plan.spec.report.orbitCheck {
            record.orbit = OrbitCheck(stages: context.orbitStages,
                                      seconds: Self.microseconds(context.orbitSeconds))
        }
        return (record, context.outputs)
    }

    /// `seconds` rounded to whole microseconds, as records hold times.
    static func microseconds(_ seconds: Double) -> Double {
        (max(seconds, 0) * 1e6).rounded() / 1e6
    }

    /// Areas by label of the case's final mask.
    static func segmentation(_ mask: (map: LabelMap, labels: [String], geometry: ValueGeometry),
                             file: String?) -> CaseRecord.Segmentation {
        let counts = StageTransforms.labelCounts(mask.map, labels: mask.labels.count)
        var pixels: [String: Int] = [:]
        var millimetres: [String: Double]?
        let pixelArea = mask.geometry.pixelSize.map { $0.x * $0.y }
        if pixelArea != nil { millimetres = [:] }
        for (label, count) in zip(mask.labels, counts) {
            pixels[label] = count
            if let pixelArea { millimetres?[label] = Double(count) * pixelArea }
        }
        return CaseRecord.Segmentation(areasPx: pixels, areasMm2: millimetres, mask: file)
    }

    /// One line saying why, naming the file.
    static func message(_ error: Error, file: String) -> String {
        let text = String(describing: error)
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.contains(file) ? line : "\(file): \(line)"
    }
}
