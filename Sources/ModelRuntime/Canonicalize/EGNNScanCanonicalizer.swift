import Canonicalization
import Foundation
import ImageCodecs
import SafeFiles
import TensorCore

/// A continuous (EGNN) orientation package applied to decoded scans: the arbitrary-angle pose
/// of a scan from its intensity-weighted keypoints, and the scan turned upright by
/// interpolation. What `equiscan canonicalize` calls for an EGNN package.
///
/// The scan equals its canonical form mirrored (left-right, when `mirrored`) and turned
/// counter-clockwise by `angleDegrees` (`ImagePose`). Keypoints come from the gray plane (colour
/// by Rec. 601 luma).
public struct EGNNScanCanonicalizer {
    public let package: EGNNPackage

    public init(_ package: EGNNPackage) {
        self.package = package
    }

    /// Loads the package folder at `path` (verified).
    public init(packageAt path: String) throws {
        self.init(try EGNNPackage.load(path))
    }

    /// The pose of `scan`; a scan without an orientation (blank, or too symmetric) is an
    /// error for this scan, never a pose.
    public func pose(of scan: Scan, file: String) throws -> ImagePose {
        let gray = try ImagePlanes(scan: scan, channels: 1, file: file).values
        return try pose(ofPlane: gray, height: scan.height, width: scan.width, file: file)
    }

    /// The pose of one gray plane (H·W, row-major).
    public func pose(ofPlane plane: [Float], height: Int, width: Int, file: String) throws
        -> ImagePose {
        let points = package.metadata.keypoints.points(plane: plane, height: height,
                                                       width: width)
        do {
            return ImagePose(frame: try package.canonicalizer.canonicalize(points).frame)
        } catch let error as CanonicalizationError {
            throw DataError(.mismatch, file: file, "no orientation found: \(error.message)")
        }
    }

    /// `scan` turned upright (the inverse of `pose`), same extent and sample type; corners
    /// brought in by the turn read `edges`. Palette scans turn with nearest sampling.
    public func upright(_ scan: Scan, pose: ImagePose, file: String,
                        interpolation: RotationInterpolation = .bicubic,
                        edges: EdgeMode = .zero) throws -> Scan {
        let (w, h, c) = (scan.width, scan.height, scan.channels)
        let values = ImagePlanes.floats(scan.samples)  // (H, W, C)
        let planes = Tensor(shape: [h, w, c], storage: values).permuted([2, 0, 1])  // (C, H, W)
        let palette = scan.metadata.colorModel == .palette
        let turned = pose.canonical(planes, interpolation: palette ? .nearest : interpolation,
                                    edges: edges)
        let interleaved = turned.permuted([1, 2, 0]).storage  // (H, W, C)
        let samples: Samples
        switch scan.samples {
        case .uint8: samples = .uint8(interleaved.map { UInt8(min(max($0.rounded(), 0), 255)) })
        case .uint16:
            samples = .uint16(interleaved.map { UInt16(min(max($0.rounded(), 0), 65535)) })
        case .float32: samples = .float32(interleaved)
        default:
            throw DataError(.unsupportedScan, file: file, "holds \(scan.samples.sampleType) "
                            + "samples; turning by an arbitrary angle supports 8- and 16-bit "
                            + "unsigned and 32-bit float scans")
        }
        return Scan(width: w, height: h, channels: c, samples: samples, metadata: scan.metadata)
    }

    /// The pose of the scan in `file` and, with a `destination`, the scan written there
    /// upright (atomically; missing folders are created). Multi-page files need `page` to
    /// write, as in `ScanCanonicalizer.process`.
    public func process(_ file: String, page: Int?, destination: String?) throws
        -> (pose: ImagePose, written: String?) {
        let scan = try ScanCanonicalizer.decode(file, page: page, writing: destination != nil)
        let pose = try self.pose(of: scan, file: file)
        guard let destination else { return (pose, nil) }
        let upright = try self.upright(scan, pose: pose, file: file)
        try ScanCanonicalizer.write(upright, format: scan.metadata.format, from: file,
                                    to: destination)
        return (pose, destination)
    }
}
