import ArgumentParser
import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import TensorCore

/// `equiscan canonicalize -m MODEL FILE... [-o DIR] [--json]`: finds each scan's pose with a
/// trained discrete canonicalizer and, with `-o`, writes the scan turned upright.
struct CanonicalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canonicalize",
        abstract: "Find each scan's pose (rotation, mirror) and optionally write it upright.",
        discussion: """
            The pose says how the scan lies: the scan equals the pose applied to its upright \
            (canonical) form, where `rotation` counts quarter turns counter-clockwise applied \
            after an optional left-right mirror. `confidence` is the softmax margin between \
            the best and second-best pose (0 = a tie, 1 = certain). With -o DIR every scan is \
            written to DIR under its own name, turned upright, in the same format family \
            (JPEG inputs as PNG, since JPEG output would be lossy) and sample type, metadata \
            kept, atomically. Every file is processed even when some fail; exit status 65 \
            when any file could not be read or written.
            """)

    @Option(name: [.short, .customLong("model")],
            help: "Canonicalizer weights (.safetensors) or a model package folder.")
    var model: String

    @Argument(help: "Scans to canonicalize (PNG, JPEG or TIFF).")
    var files: [String]

    @Option(name: [.short, .customLong("output")],
            help: "Folder to write the upright scans to (created if missing).")
    var output: String?

    @Flag(help: "Print one JSON array with an object per file ({file, pose} or {file, error}).")
    var json = false

    func validate() throws {
        if files.isEmpty {
            throw ValidationError("expected at least one FILE to canonicalize")
        }
    }

    func run() throws {
        let canonicalizer = try CanonicalizerLoading.load(model)
        if let output {
            try FileManager.default.createDirectory(atPath: output,
                                                    withIntermediateDirectories: true)
        }
        var results: [CanonicalizeResult] = []
        var failed = false
        for file in files {
            do {
                let (pose, written) = try canonicalize(file, with: canonicalizer)
                results.append(CanonicalizeResult(file: file, pose: pose, output: written))
            } catch {
                failed = true
                let message = ErrorReporter.classify(error)?.message ?? String(describing: error)
                results.append(CanonicalizeResult(file: file, error: message))
                if !json { ErrorReporter.printError(message) }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            for result in results {
                guard let pose = result.pose else { continue }
                var line = "\(result.file): rotation \(Self.number(pose.rotation)) "
                    + "mirrored \(pose.mirrored) confidence "
                    + String(format: "%.3f", pose.confidence)
                if let written = result.output { line += " -> \(written)" }
                print(line)
            }
        }
        if failed { throw SilentExit(status: .dataError) }
    }

    /// The pose of one scan and, with `-o`, the path written.
    private func canonicalize(_ file: String, with canonicalizer: DiscreteCanonicalizer) throws
        -> (PoseReport, String?) {
        let scan = try ImageDecoder.decode(path: file)
        let image = try ScanTensor.image(scan, channels: canonicalizer.configuration.network
            .inputChannels, file: file)
        let pose = canonicalizer.estimatePoses(image)[0]
        let report = PoseReport(pose)
        guard let output else { return (report, nil) }
        guard pose.isOnPixelGrid else {
            throw CommandFailure(.dataError, "\(file): pose \(pose.degrees)° is not a multiple "
                                 + "of 90°; writing it upright would resample the scan, which "
                                 + "canonicalize does not do (use a C4 or D4 model)")
        }
        // The scan is pose · canonical, so canonical = pose⁻¹ · scan: undo the rotation
        // first, then the mirror (a mirrored pose R^r F is its own inverse: F R^-r).
        var upright = scan.rotated90(times: -Int(pose.quarterTurns))
        if pose.mirrored { upright = upright.mirrored() }
        let format: ImageFormat = scan.metadata.format == .tiff ? .tiff : .png
        var name = (file as NSString).lastPathComponent
        if scan.metadata.format == .jpeg {
            name = (name as NSString).deletingPathExtension + ".png"
        }
        let path = (output as NSString).appendingPathComponent(name)
        try ImageEncoder.write(upright, to: path, format: format)
        return (report, path)
    }

    /// 1 → "1", 0.5 → "0.5".
    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// A pose as `canonicalize` reports it.
struct PoseReport: Codable, Equatable {
    /// Quarter turns counter-clockwise (0…3; halves for C8/D8 models).
    var rotation: Double
    /// Degrees counter-clockwise.
    var degrees: Double
    /// Whether the scan is mirrored (left-right, before the rotation).
    var mirrored: Bool
    /// Softmax margin between the best and second-best pose.
    var confidence: Float
    /// The model's group ("C4", "D4"…).
    var group: String

    init(_ pose: PoseEstimate) {
        rotation = pose.quarterTurns
        degrees = pose.degrees
        mirrored = pose.mirrored
        confidence = pose.confidence
        group = pose.group.description
    }
}

/// One file's outcome: a pose (and where the upright scan went) or an error.
struct CanonicalizeResult: Codable, Equatable {
    var file: String
    var pose: PoseReport?
    var output: String?
    var error: String?

    init(file: String, pose: PoseReport, output: String?) {
        self.file = file
        self.pose = pose
        self.output = output
    }

    init(file: String, error: String) {
        self.file = file
        self.error = error
    }
}

/// Finds and loads a canonicalizer: a weight file, or a model package folder holding one.
enum CanonicalizerLoading {
    static func load(_ path: String) throws -> DiscreteCanonicalizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure(.noInput, "\(path): no such model file or folder")
        }
        var weights = path
        if isDirectory.boolValue {
            weights = (path as NSString).appendingPathComponent(Self.weightsName(inPackage: path))
            guard FileManager.default.fileExists(atPath: weights) else {
                throw CommandFailure(.noInput, "\(path): a model package folder must hold "
                                     + "\((weights as NSString).lastPathComponent)")
            }
        }
        return try DiscreteCanonicalizer.load(from: URL(fileURLWithPath: weights))
    }

    /// The weight file a package's metadata.json names, or `weights.safetensors`.
    private static func weightsName(inPackage folder: String) -> String {
        struct Reference: Decodable { struct Weights: Decodable { var file: String }
                                      var weights: Weights }
        let metadata = (folder as NSString).appendingPathComponent("metadata.json")
        if let data = FileManager.default.contents(atPath: metadata),
           let reference = try? JSONDecoder().decode(Reference.self, from: data) {
            return reference.weights.file
        }
        return "weights.safetensors"
    }
}

/// The explicit Scan → Tensor step of the canonicalizer: the PipelineEngine bridge turns the
/// samples into `channels` Float planes (colour to gray by Rec. 601 luma); intensity
/// normalisation is the canonicalizer's own (`ScorerPreprocessing.normalization`).
enum ScanTensor {
    static func image(_ scan: Scan, channels: Int, file: String) throws -> Tensor {
        let planes = try ImagePlanes(scan: scan, channels: channels, file: file)
        return Tensor(shape: [1, channels, planes.height, planes.width], storage: planes.values)
    }
}
