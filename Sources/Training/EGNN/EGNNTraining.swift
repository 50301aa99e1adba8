import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import NeuralNet
import SafeFiles
import TensorCore

/// Angular errors of a continuous canonicalizer on upright scans turned by known angles, in
/// degrees.
public struct AngularErrors: Equatable, Sendable {
    /// |recovered angle − applied angle| of every turned scan: how well the upright pose is
    /// found on scans the model never saw.
    public var absolute: [Double]
    /// |angle(turned) − angle(unturned) − applied angle|: the E(2) property through image
    /// resampling and keypoint extraction, whatever the upright pose.
    public var consistency: [Double]

    /// Median and 95th percentile of both, by name ("medianAngleError", "p95AngleError",
    /// "medianConsistencyError", "p95ConsistencyError").
    public var summary: [String: Double] {
        func percentile(_ values: [Double], _ q: Double) -> Double {
            values.isEmpty ? 0 : Statistics.percentile(sorted: values.sorted(), q)
        }
        return ["medianAngleError": percentile(absolute, 50),
                "p95AngleError": percentile(absolute, 95),
                "medianConsistencyError": percentile(consistency, 50),
                "p95ConsistencyError": percentile(consistency, 95)]
    }
}

/// Trains an EGNN orientation package from an `EGNNTrainingConfig`: upright scans are reduced
/// to a working square, turned (and, for O(2), mirrored) by random poses with bilinear
/// interpolation, their keypoints taken, and the frame vectors trained to point along the
/// applied frame (`EGNNOrientationTrainer`); the package's angular errors are measured on the
/// held-out scans (`AngularErrors`).
public enum EGNNTraining {
    /// The gray working squares (size × size, row-major) of the scans in `sources`.
    public static func workingPlanes(_ sources: [String], size: Int) throws -> [[Float]] {
        try DatasetIndex.orientation(sources: sources).cases.map { dataCase in
            let scan = try ImageDecoder.decode(path: dataCase.image)
            let gray = try ImagePlanes(scan: scan, channels: 1, file: dataCase.image).values
            return ScanKeypoints.centredSquare(plane: gray, height: scan.height,
                                               width: scan.width, size: size)
        }
    }

    /// `plane` (size × size) as a scan in `pose`: its upright form mirrored and turned.
    static func posed(_ plane: [Float], size: Int, pose: ImagePose) -> [Float] {
        pose.toScan(Tensor(shape: [size, size], storage: plane), interpolation: .bilinear)
            .storage
    }

    /// A random pose: angle uniform in [−180°, 180°), mirrored at random when `mirrors`.
    static func randomPose(mirrors: Bool, generator: inout SeededGenerator) -> ImagePose {
        ImagePose(angleDegrees: 360 * generator.nextDouble() - 180,
                  mirrored: mirrors && generator.nextInt(below: 2) == 1)
    }

    /// The angular errors of `canonicalizer` on `planes` (each size × size), every plane turned
    /// by `turns` seeded random angles (rotations only, so the errors are comparable between
    /// SO(2) and O(2) models).
    public static func angularErrors(of canonicalizer: EGNNCanonicalizer, keypoints: KeypointSpec,
                                     planes: [[Float]], size: Int, turns: Int,
                                     seed: UInt64) throws -> AngularErrors {
        var generator = SeededGenerator(seed: seed)
        var errors = AngularErrors(absolute: [], consistency: [])
        func angle(_ plane: [Float]) throws -> Double {
            let points = keypoints.points(plane: plane, height: size, width: size)
            return ImagePose(frame: try canonicalizer.canonicalize(points).frame).angleDegrees
        }
        for plane in planes {
            let reference = try angle(plane)
            for _ in 0..<turns {
                let pose = randomPose(mirrors: false, generator: &generator)
                let found = try angle(posed(plane, size: size, pose: pose))
                errors.absolute.append(degreesApart(found, pose.angleDegrees))
                errors.consistency.append(degreesApart(found, reference + pose.angleDegrees))
            }
        }
        return errors
    }

    /// |a − b| in degrees, wrapped into [0, 180].
    static func degreesApart(_ a: Double, _ b: Double) -> Double {
        abs(OrientationFrame.angleDifference(a * .pi / 180, b * .pi / 180)) * 180 / .pi
    }

    /// Trains, measures and writes the package to `output` (with `configText`, the config as
    /// given, as `training-config.json` when not nil); `progress` receives one line per 50 steps
    /// and at the end.
    @discardableResult
    public static func run(_ config: EGNNTrainingConfig, dataRoot: String, output: String,
                           configText: String? = nil,
                           progress: (String) -> Void = { _ in }) throws -> EGNNPackage {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : (dataRoot as NSString).appendingPathComponent(path)
        }
        let size = config.training.workingSize
        let train = try workingPlanes(config.data.train.map(resolve), size: size)
        let validation = try workingPlanes(config.data.validation.map(resolve), size: size)
        let model = try EGNNCanonicalizer(configuration: config.network)
        let trainer = EGNNOrientationTrainer(
            canonicalizer: model,
            optimizer: Adam(module: model, learningRate: Float(config.training.learningRate)))
        var generator = SeededGenerator(seed: config.seed)
        var log = "step,loss,median_angle_error_degrees\n"
        for step in 1...config.training.steps {
            var sets: [PointSet] = [], poses: [(angle: Double, mirrored: Bool)] = []
            for _ in 0..<config.training.batchSize {
                let plane = train[generator.nextInt(below: train.count)]
                let pose = randomPose(mirrors: config.model.group == .o2, generator: &generator)
                sets.append(config.keypoints.points(plane: posed(plane, size: size, pose: pose),
                                                    height: size, width: size))
                poses.append(pose.frame)
            }
            let result = try trainer.step(sets: sets, poses: poses)
            log += "\(step),\(result.loss),\(result.medianAngleError)\n"
            if step % 50 == 0 || step == config.training.steps {
                progress(String(format: "step %d/%d  loss %.4f  median angle error %.1f°", step,
                                config.training.steps, result.loss, result.medianAngleError))
            }
        }
        model.eval()
        let errors = try angularErrors(of: model, keypoints: config.keypoints, planes: validation,
                                       size: size, turns: config.training.validationTurns,
                                       seed: config.seed ^ 0xE6)
        let metadata = EGNNPackageMetadata(
            name: config.name, version: config.version, description: config.description,
            group: config.model.group, keypoints: config.keypoints,
            trainingData: .init(train: config.data.train, validation: config.data.validation,
                                validationFraction: nil, trainCases: train.count,
                                validationCases: validation.count, trainCasesPerClass: nil),
            training: .init(seed: config.seed, steps: config.training.steps,
                            batchSize: config.training.batchSize,
                            learningRate: config.training.learningRate, mode: "alone",
                            model: config.network),
            validationMetrics: errors.summary,
            weights: .init(file: ModelPackage.weightsFile, sha256: ""))
        let package = try EGNNPackage.write(model, metadata: metadata, to: output)
        try AtomicFile.write(log, to: (output as NSString)
            .appendingPathComponent("training-log.csv"))
        if let configText {
            try AtomicFile.write(configText, to: (output as NSString)
                .appendingPathComponent(ModelPackage.trainingConfigFile))
        }
        let summary = errors.summary
        progress(String(format: "held-out angle error: median %.2f°, p95 %.2f°; E(2) "
                        + "consistency: median %.2f°, p95 %.2f°",
                        summary["medianAngleError"] ?? 0, summary["p95AngleError"] ?? 0,
                        summary["medianConsistencyError"] ?? 0,
                        summary["p95ConsistencyError"] ?? 0))
        return package
    }
}
