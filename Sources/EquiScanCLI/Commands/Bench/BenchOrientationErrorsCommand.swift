import ArgumentParser
import Foundation
import ModelRuntime
import Training

/// `equiscan bench orientation-errors`: angular errors of continuous canonicalization on real
/// data turned by random angles: the held-out medical scans of an EGNN package, and the nuclei
/// of the DSB 2018 tile for a model trained on the tile's other quadrants.
struct BenchOrientationErrorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orientation-errors",
        abstract: "Measure angular errors of an EGNN orientation model on turned real data.",
        discussion: """
            Medical scans: every scan of DATA/medical the package was not trained on, reduced \
            to 64 × 64, turned by --turns seeded angles: the error against the applied angle \
            (the scan taken as upright) and the E(2) consistency error |angle(turned) − \
            angle(scan) − applied|. Nuclei: centroids, sizes and mean intensities of the \
            nuclei of DATA/segmentation/nuclei-dsb2018, a model trained on three quadrants, \
            the fourth turned (image and instance map) by --turns angles; consistency error. \
            Figures in degrees: median and 95th percentile.
            """)

    @Option(help: "Shared data folder.")
    var data = "../shared/data"

    @Option(help: "EGNN orientation package.")
    var model = "samples/models/orientation-egnn"

    @Option(help: "Turns per scan or tile.")
    var turns = 24

    @Option(help: "Training steps of the nuclei model.")
    var steps = 300

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard turns >= 1, steps >= 1 else {
            throw ValidationError("--turns and --steps must be 1 or more")
        }
    }

    func run() throws {
        let package = try EGNNPackage.load(model)
        let medical = try EGNNMeasurement.heldOutScans(
            package: package, sources: [(data as NSString).appendingPathComponent("medical")],
            workingSize: 64, turns: turns, seed: 16)
        let folder = (data as NSString).appendingPathComponent("segmentation/nuclei-dsb2018")
        let nuclei = try EGNNMeasurement.nuclei(image: folder + "/images/img2d.png",
                                                instances: folder + "/instances/img2d.png",
                                                steps: steps, turns: turns, seed: 16)
        var report: [String: [String: Double]] = [
            "medical": medical.errors.summary,
            "nuclei": nuclei.summary.filter { $0.key.contains("Consistency") },
        ]
        report["medical"]?["scans"] = Double(medical.files.count)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let m = medical.errors.summary, n = nuclei.summary
        print(String(format: "medical (%d held-out scans × %d turns): angle error median %.2f°, "
                     + "p95 %.2f°; consistency median %.2f°, p95 %.2f°", medical.files.count,
                     turns, m["medianAngleError"] ?? 0, m["p95AngleError"] ?? 0,
                     m["medianConsistencyError"] ?? 0, m["p95ConsistencyError"] ?? 0))
        print(String(format: "nuclei (held-out quadrant × %d turns): consistency median %.2f°, "
                     + "p95 %.2f°", turns, n["medianConsistencyError"] ?? 0,
                     n["p95ConsistencyError"] ?? 0))
    }
}
