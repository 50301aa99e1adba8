import Foundation
import ImageCodecs

/// Small generated scans for tests, written through the package's own encoder.
public enum TestImages {
    /// An 8-bit gray scan of `width` × `height` row-major `pixels`.
    public static func grayScan(width: Int, height: Int, pixels: [UInt8]) -> Scan {
        precondition(pixels.count == width * height,
                     "a \(width)×\(height) gray scan needs \(width * height) pixels, got "
                     + "\(pixels.count)")
        return Scan(width: width, height: height, channels: 1, samples: .uint8(pixels),
                    metadata: ScanMetadata(format: .png, colorModel: .minIsBlack,
                                           bitsPerSample: 8))
    }

    /// Writes `grayScan(width:height:pixels:)` as a PNG file at `path`, creating its folder.
    public static func writeGrayPNG(width: Int, height: Int, pixels: [UInt8],
                                    to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder,
                                                    withIntermediateDirectories: true)
        }
        try ImageEncoder.write(grayScan(width: width, height: height, pixels: pixels), to: path,
                               format: .png)
    }
}
