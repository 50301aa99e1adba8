import ImageCodecs
import ModelRuntime

extension StageTransforms {
    /// A mask as a gray scan for PNG or TIFF: one sample per pixel holding its label (0 =
    /// background), 8-bit when every label is at most 255, else 16-bit.
    ///
    /// - Parameters:
    ///   - pixelSize: carried to the file when the mask has the scan's geometry.
    ///   - format: the container the scan is meant for; the encoder chooses by its own
    ///     argument, this only fills the metadata.
    /// - Precondition: labels lie in 0...65535.
    public static func maskScan(_ mask: LabelMap, pixelSize: PixelSize? = nil,
                                format: ImageFormat = .png) -> Scan {
        let largest = mask.values.max() ?? 0
        precondition((mask.values.min() ?? 0) >= 0 && largest <= 65535,
                     "mask labels must lie in 0...65535 to be written as samples")
        let samples: Samples = largest <= 255 ? .uint8(mask.values.map { UInt8($0) })
                                              : .uint16(mask.values.map { UInt16($0) })
        return Scan(width: mask.width, height: mask.height, channels: 1, samples: samples,
                    metadata: ScanMetadata(format: format, colorModel: .minIsBlack,
                                           bitsPerSample: largest <= 255 ? 8 : 16,
                                           pixelSizeMM: pixelSize))
    }

    /// Float planes — probabilities, or any other `ImagePlanes` — as one 32-bit float gray
    /// page for TIFF: the C planes stacked top to bottom, W wide and C · H high, so row
    /// c · H + y holds row y of plane c and reading the page as a (C · H, W) array and
    /// reshaping it to (C, H, W) gives the planes back exactly.
    ///
    /// `ImageEncoder` writes TIFF of 1–4 interleaved channels on one page; a K-channel page
    /// would cap K at 4 and make viewers read 2 channels as gray + alpha and 3 as RGB, so the
    /// planes share one gray channel instead, for any K.
    ///
    /// - Parameter pixelSize: carried to the file when the planes have the scan's geometry.
    public static func floatPlanesScan(_ planes: ImagePlanes, pixelSize: PixelSize? = nil) -> Scan {
        Scan(width: planes.width, height: planes.channels * planes.height, channels: 1,
             samples: .float32(planes.values),
             metadata: ScanMetadata(format: .tiff, colorModel: .minIsBlack, bitsPerSample: 32,
                                    pixelSizeMM: pixelSize))
    }
}
