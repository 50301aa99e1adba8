import ImageCodecs
import ModelRuntime

/// Stage values turned into scans for writing. Scans are interleaved (pixel by pixel), planes
/// channel-first.
enum OutputImages {
    /// Probability planes stacked top to bottom in one gray page (`floatPlanesScan`): 32-bit
    /// float in TIFF; in PNG 16-bit, p × 65535 rounded.
    static func probabilities(_ planes: ImagePlanes, format: ImageFormat,
                              pixelSize: PixelSize?) -> Scan {
        var scan = StageTransforms.floatPlanesScan(planes, pixelSize: pixelSize)
        guard format == .png else { return scan }
        scan.samples = .uint16(planes.values.map {
            UInt16((min(max($0, 0), 1) * 65535).rounded())
        })
        scan.metadata.format = .png
        scan.metadata.bitsPerSample = 16
        return scan
    }

    /// An image in the sample type it was decoded from when its intensities are raw (so an
    /// upright copy of a 16-bit scan stays 16-bit and lossless); scaled intensities as 32-bit
    /// float in TIFF, or in PNG as 8-bit with 0…1 mapped to 0…255 (clipped), as MONAI's
    /// SaveImage scales.
    static func image(_ planes: ImagePlanes, intensity: IntensityState, like scan: Scan?,
                      format: ImageFormat, pixelSize: PixelSize?, file: String) throws -> Scan {
        let values = interleave(planes)
        let samples: Samples
        let bits: Int
        switch (intensity, scan?.samples.sampleType) {
        case (.raw, .uint8?):
            samples = .uint8(values.map { UInt8(min(max($0.rounded(), 0), 255)) })
            bits = 8
        case (.raw, .uint16?):
            samples = .uint16(values.map { UInt16(min(max($0.rounded(), 0), 65535)) })
            bits = 16
        case (.raw, _) where format == .tiff, (.scaled, _) where format == .tiff:
            samples = .float32(values)
            bits = 32
        case (.raw, _):
            throw StageFailure("\(file): \(scan?.samples.sampleType.rawValue ?? "these") "
                               + "samples do not fit PNG; save the scan as TIFF")
        case (.scaled, _):
            samples = .uint8(values.map { UInt8((min(max($0, 0), 1) * 255).rounded()) })
            bits = 8
        }
        return Scan(width: planes.width, height: planes.height, channels: planes.channels,
                    samples: samples,
                    metadata: metadata(format: format, channels: planes.channels, bits: bits,
                                       pixelSize: pixelSize))
    }

    /// (C, H, W) planes as (H, W, C) samples.
    static func interleave(_ planes: ImagePlanes) -> [Float] {
        let pixels = planes.width * planes.height
        let channels = planes.channels
        if channels == 1 { return planes.values }
        var out = [Float](repeating: 0, count: planes.values.count)
        for c in 0..<channels {
            for i in 0..<pixels { out[i * channels + c] = planes.values[c * pixels + i] }
        }
        return out
    }

    private static func metadata(format: ImageFormat, channels: Int, bits: Int,
                                 pixelSize: PixelSize?) -> ScanMetadata {
        let colour: ColorModel
        switch channels {
        case 1: colour = .minIsBlack
        case 2: colour = .grayAlpha
        case 3: colour = .rgb
        default: colour = .rgba
        }
        return ScanMetadata(format: format, colorModel: colour, bitsPerSample: bits,
                            pixelSizeMM: pixelSize)
    }
}
