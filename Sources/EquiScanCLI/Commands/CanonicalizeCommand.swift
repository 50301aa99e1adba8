import ArgumentParser
import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import SafeFiles

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
            the best and second-best pose (0 = a tie, 1 = certain); `rotationConfidence` the \
            margin of the rotation alone (a pose and its mirror image added), and \
            `mirrorConfidence` that of the mirror given the rotation. With --json, \
            `probabilities` lists every pose of the group with its softmax probability.

            A pose whose rotation confidence is below the threshold (--min-confidence, else \
            the package's calibrated minConfidence) is `uncertain`: the rotation and mirror \
            are only the best guess and nothing is turned or written. A package whose \
            calibration reached no threshold with its target accuracy on its validation \
            scans calls every pose uncertain unless --min-confidence is given. A mirror \
            the package cannot identify (near-symmetric anatomy), or whose confidence is \
            below its calibrated mirrorMinConfidence, is `mirrorUncertain`: the scan is \
            written with its rotation undone and its mirror left as it is.

            A continuous (EGNN) package finds any angle: its pose also carries \
            `angleDegrees` (counter-clockwise, after the mirror), `rotation` is then the \
            nearest quarter turn, and upright copies are turned by bicubic interpolation \
            (corners outside the scan are zero). It has no pose scores: its confidences are \
            1 and it never abstains.

            MODEL is a model package folder (its metadata.json and the weights' SHA-256 are \
            verified) or a bare canonicalizer .safetensors file (structure and finite weights \
            checked).

            With -o DIR every scan is written to DIR turned upright, atomically, in the same \
            format family (JPEG inputs as .png, since JPEG output would be lossy) and sample \
            type, with its pixel size; other metadata (EXIF, XMP, ICC) is not kept. Outputs \
            are DIR/NAME; when two inputs share a name, the inputs' paths relative to their \
            common folder are mirrored under DIR instead, and inputs that would still \
            collide (scan.png and scan.jpg) are refused before any work. No input is ever \
            written over. A multi-page TIFF needs --page N with -o: one page is written.

            Every file is processed even when some fail. Exit status: 0 all done; 2 some \
            files failed; 64 usage (output over an input, colliding outputs); 65 every file \
            failed or the model is invalid; 66 the model or every scan is missing; 75 \
            interrupted or an output could not be written.
            """)

    @Option(name: [.short, .customLong("model")],
            help: "Model package folder, or a canonicalizer weight file (.safetensors).")
    var model: String

    @Argument(help: "Scans to canonicalize (PNG, JPEG or TIFF).")
    var files: [String]

    @Option(name: [.short, .customLong("output")],
            help: "Folder to write the upright scans to (created if missing).")
    var output: String?

    @Option(help: ArgumentHelp("Zero-based page of multi-page TIFFs to use (default 0; "
                               + "required with -o for multi-page files)."))
    var page: Int?

    @Option(help: ArgumentHelp("Rotation confidence (0-1) below which a pose is reported as "
                               + "uncertain and the scan is not turned or written (default: "
                               + "the package's calibrated minConfidence, else 0; a package "
                               + "whose calibration missed its target turns nothing "
                               + "unless this is given).",
                               valueName: "confidence"))
    var minConfidence: Double?

    @Flag(help: "Print one JSON array with an object per file ({file, pose} or {file, error}).")
    var json = false

    func validate() throws {
        if files.isEmpty {
            throw ValidationError("expected at least one FILE to canonicalize")
        }
        if let page, page < 0 {
            throw ValidationError("--page must be 0 or more, got \(page)")
        }
        if let minConfidence, !(0...1).contains(minConfidence) {
            throw ValidationError("--min-confidence must lie in 0...1, got \(minConfidence)")
        }
    }

    func run() throws {
        ProtectedInputs.shared.protect(files + [model])
        var destinations: [String]?
        if let output {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                throw CommandFailure(.usage, "\(output): -o must name a folder, but a file "
                                     + "is there")
            }
            destinations = try OutputPaths.plan(inputs: files, outputFolder: output,
                                                name: ScanCanonicalizer.outputName(for:))
        }
        if EGNNPackage.holdsEGNN(model) {
            return try runContinuous(destinations: destinations)
        }
        let canonicalizer = try ScanCanonicalizer(modelAt: model)
        // A package may carry thresholds calibrated on its validation cases.
        let abstention = (try? ModelPackage.load(model))?.metadata
            .poseAbstention(minConfidence: minConfidence)
            ?? PoseAbstention(minConfidence: minConfidence ?? 0)
        var results: [CanonicalizeResult] = []
        var failures: [ExitStatus] = []
        for (index, file) in files.enumerated() {
            do {
                let (pose, written) = try canonicalizer.process(
                    file, page: page, destination: destinations?[index],
                    abstention: abstention)
                results.append(CanonicalizeResult(
                    file: file, pose: PoseReport(pose, abstention: abstention), output: written))
            } catch {
                let (status, message) = ErrorReporter.caseFailure(error, command: "canonicalize")
                failures.append(status)
                results.append(CanonicalizeResult(file: file, error: message))
                if !json { ErrorReporter.printError(message) }
            }
        }
        if json {
            print(CanonicalizeResult.jsonArray(results))
        } else {
            for result in results {
                guard let pose = result.pose else { continue }
                var line = "\(result.file): rotation \(Self.number(pose.rotation)) "
                    + "mirrored \(pose.mirrored) confidence "
                    + String(format: "%.3f", pose.confidence)
                if pose.uncertain {
                    line += " uncertain (not turned)"
                } else if pose.mirrorUncertain {
                    line += " mirror uncertain (not mirrored)"
                }
                if let written = result.output { line += " -> \(written)" }
                print(line)
            }
        }
        if let status = ErrorReporter.batchStatus(cases: files.count, failures: failures) {
            throw SilentExit(status: status)
        }
    }

    /// The arbitrary-angle poses of a continuous (EGNN) package; upright copies are turned by
    /// bicubic interpolation with zero corners.
    private func runContinuous(destinations: [String]?) throws {
        let canonicalizer = try EGNNScanCanonicalizer(packageAt: model)
        let group = canonicalizer.package.metadata.group.rawValue
        var results: [CanonicalizeResult] = []
        var failures: [ExitStatus] = []
        for (index, file) in files.enumerated() {
            do {
                let (pose, written) = try canonicalizer.process(
                    file, page: page, destination: destinations?[index])
                results.append(CanonicalizeResult(file: file, pose: PoseReport(pose, group: group),
                                                  output: written))
            } catch {
                let (status, message) = ErrorReporter.caseFailure(error, command: "canonicalize")
                failures.append(status)
                results.append(CanonicalizeResult(file: file, error: message))
                if !json { ErrorReporter.printError(message) }
            }
        }
        if json {
            print(CanonicalizeResult.jsonArray(results))
        } else {
            for result in results {
                guard let pose = result.pose, let angle = pose.angleDegrees else { continue }
                var line = "\(result.file): angle " + String(format: "%.2f", angle)
                    + "° rotation \(Self.number(pose.rotation)) mirrored \(pose.mirrored)"
                if let written = result.output { line += " -> \(written)" }
                print(line)
            }
        }
        if let status = ErrorReporter.batchStatus(cases: files.count, failures: failures) {
            throw SilentExit(status: status)
        }
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
    /// Softmax margin of the rotation alone (a pose and its mirror image added).
    var rotationConfidence: Float
    /// Margin of the mirror bit given the rotation (1 for groups without mirrors).
    var mirrorConfidence: Float
    /// The model's group ("C4", "D4"…).
    var group: String
    /// Whether the rotation confidence is below the threshold: rotation and mirror are then
    /// only the best guess, and the scan was not turned.
    var uncertain: Bool
    /// Whether the mirror bit is only a guess (not identifiable for the model, or below its
    /// calibrated threshold): a written scan has its rotation undone, not its mirror.
    var mirrorUncertain: Bool
    /// Every pose of the group (in the group's storage order: the rotations, then the
    /// mirrored ones) with its softmax probability; they add up to 1. Absent for continuous
    /// models, which have no pose scores.
    var probabilities: [PoseProbability]?
    /// Continuous (EGNN) models: the angle in degrees counter-clockwise, in (−180, 180], such
    /// that the scan is its canonical form (mirrored first when `mirrored`) turned by it;
    /// `rotation` is then its nearest quarter turn. Absent for discrete models.
    var angleDegrees: Double?

    init(_ pose: PoseEstimate, abstention: PoseAbstention = PoseAbstention()) {
        rotation = pose.quarterTurns
        degrees = pose.degrees
        mirrored = pose.mirrored
        confidence = pose.confidence
        rotationConfidence = pose.rotationConfidence
        mirrorConfidence = pose.mirrorConfidence
        group = pose.group.description
        uncertain = abstention.isUncertain(pose)
        mirrorUncertain = abstention.isMirrorUncertain(pose)
        probabilities = pose.probabilities.enumerated().map { index, probability in
            let element = pose.group.element(at: index)
            return PoseProbability(
                rotation: PoseEstimate.quarterTurns(of: element, in: pose.group),
                mirrored: element.mirrored, probability: Float(probability))
        }
    }

    /// The report of a continuous pose: a continuous model has no pose scores, so its
    /// confidence is 1 and it is never uncertain.
    init(_ pose: ImagePose, group: String) {
        rotation = Double(pose.quarterTurns)
        degrees = 90 * Double(pose.quarterTurns)
        mirrored = pose.mirrored
        confidence = 1
        rotationConfidence = 1
        mirrorConfidence = 1
        self.group = group
        uncertain = false
        mirrorUncertain = false
        angleDegrees = pose.angleDegrees
    }
}

/// One pose of a discrete model's group and its softmax probability.
struct PoseProbability: Codable, Equatable {
    /// Quarter turns counter-clockwise, as in `PoseReport`.
    var rotation: Double
    var mirrored: Bool
    var probability: Float
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

    /// The results as a pretty JSON array; every value is finite by construction (poses with
    /// NaN scores are errors), so encoding cannot fail.
    static func jsonArray(_ results: [CanonicalizeResult]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(results) else {
            preconditionFailure("canonicalize results hold only finite numbers and strings")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
