import Canonicalization
import Foundation
import ImageCodecs
import SafeFiles
import TensorCore

/// A discrete canonicalizer applied to decoded scans: the pose of a scan, and the scan turned
/// upright. What `equiscan canonicalize` and pipeline stages call.
///
/// The scan equals the pose applied to its upright form, so upright = pose⁻¹ · scan. The scorer
/// sees the scan's samples as `channels` Float planes (colour to gray by Rec. 601 luma);
/// intensity normalisation is the canonicalizer's own (`ScorerPreprocessing.normalization`).
public struct ScanCanonicalizer {
    public let canonicalizer: DiscreteCanonicalizer

    public init(_ canonicalizer: DiscreteCanonicalizer) {
        self.canonicalizer = canonicalizer
    }

    /// Loads the model at `path` through `ModelLoader.canonicalizer(at:)` (verified).
    public init(modelAt path: String) throws {
        self.init(try ModelLoader.canonicalizer(at: path))
    }

    /// The pose of `scan`; a model that produces NaN or infinite scores is an error for this
    /// scan, never a pose.
    public func pose(of scan: Scan, file: String) throws -> PoseEstimate {
        let channels = canonicalizer.configuration.network.inputChannels
        let planes = try ImagePlanes(scan: scan, channels: channels, file: file)
        let image = Tensor(shape: [1, channels, planes.height, planes.width],
                           storage: planes.values)
        let pose = canonicalizer.estimatePoses(image)[0]
        guard pose.scores.allSatisfy(\.isFinite), pose.confidence.isFinite else {
            throw DataError(.mismatch, file: file, "the model produced NaN or infinite pose "
                            + "scores for this scan; no pose was written")
        }
        return pose
    }

    /// `scan` turned upright: pose⁻¹ · scan, or with `undoMirror` false the rotation alone
    /// undone (for a pose whose mirror bit is uncertain: the scan keeps its handedness). Poses
    /// off the pixel grid (C8/D8 half turns) are refused, since turning them would resample
    /// the scan.
    public func upright(_ scan: Scan, pose: PoseEstimate, file: String,
                        undoMirror: Bool = true) throws -> Scan {
        guard pose.isOnPixelGrid else {
            throw DataError(.mismatch, file: file, "pose \(pose.degrees)° is not a multiple of "
                            + "90°; writing it upright would resample the scan (use a C4 or D4 "
                            + "model)")
        }
        // A mirrored pose R^r F is undone by F R^-r: the rotation first, then the mirror.
        var upright = scan.rotated90(times: -Int(pose.quarterTurns))
        if pose.mirrored && undoMirror { upright = upright.mirrored() }
        return upright
    }

    /// The format an upright copy is written in: TIFF stays TIFF; PNG and JPEG become PNG
    /// (JPEG output would be lossy).
    public static func outputFormat(for input: ImageFormat) -> ImageFormat {
        input == .tiff ? .tiff : .png
    }

    /// The file name an upright copy of `input` gets: the same name, with `.png` for JPEG
    /// names (`.jpg`, `.jpeg`, any case).
    public static func outputName(for input: String) -> String {
        let name = (input as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension.lowercased()
        guard ext == "jpg" || ext == "jpeg" else { return name }
        return (name as NSString).deletingPathExtension + ".png"
    }

    /// Whether a file named `name` may hold `format` (for refusing a JPEG named `.tif`, whose
    /// upright PNG copy would carry a misleading extension).
    public static func name(_ name: String, fits format: ImageFormat) -> Bool {
        let ext = (name as NSString).pathExtension.lowercased()
        switch format {
        case .png: return ext == "png"
        case .tiff: return ext == "tif" || ext == "tiff"
        case .jpeg: return false
        }
    }

    /// The pose of the scan in `file` and, with a `destination`, the scan written there
    /// upright (atomically; missing folders are created).
    ///
    /// `page` picks the page of a multi-page TIFF (default 0). Writing needs an explicit page
    /// for multi-page files, since one page is written and the rest would be lost silently.
    ///
    /// A pose that `abstention` finds uncertain is returned (as the best guess) but nothing
    /// is turned or written; one whose mirror bit alone is uncertain is written with the
    /// rotation undone and the mirror left as it is.
    public func process(_ file: String, page: Int?, destination: String?,
                        abstention: PoseAbstention = PoseAbstention()) throws
        -> (pose: PoseEstimate, written: String?) {
        let scan = try Self.decode(file, page: page, writing: destination != nil)
        let pose = try self.pose(of: scan, file: file)
        guard let destination, !abstention.isUncertain(pose) else { return (pose, nil) }
        let upright = try self.upright(scan, pose: pose, file: file,
                                       undoMirror: !abstention.isMirrorUncertain(pose))
        try Self.write(upright, format: scan.metadata.format, from: file, to: destination)
        return (pose, destination)
    }

    /// Page `page` (default 0) of the scan in `file`; a multi-page file needs an explicit page
    /// when one is to be written, since the rest would be lost silently.
    static func decode(_ file: String, page: Int?, writing: Bool) throws -> Scan {
        let scan = try ImageDecoder.decode(path: file, options: DecodeOptions(page: page ?? 0))
        if writing, page == nil, scan.metadata.pageCount > 1 {
            throw DataError(.unsupportedScan, file: file, "has \(scan.metadata.pageCount) pages "
                            + "and one is written; pass --page N (0-based) to choose it")
        }
        return scan
    }

    /// Writes the upright copy of a scan of `format` read from `file` to `destination`
    /// (atomically, in `outputFormat(for:)`; missing folders are created).
    static func write(_ upright: Scan, format input: ImageFormat, from file: String,
                      to destination: String) throws {
        let format = outputFormat(for: input)
        guard name(destination, fits: format) else {
            throw DataError(.mismatch, file: file, "holds \(input) data but its "
                            + "name says otherwise; rename it to match its format")
        }
        let folder = (destination as NSString).deletingLastPathComponent
        do {
            try OutputModes.createFolder(folder.isEmpty ? "." : folder)
        } catch {
            throw SafeFileError(.io, path: folder, "cannot create the output folder")
        }
        try ImageEncoder.write(upright, to: destination, format: format)
    }
}
