/// A decoded image: samples in their source type, interleaved, row-major, top row first,
/// plus where they came from.
///
/// `samples` holds `width × height × channels` values; the sample at column `x`, row `y`,
/// channel `c` is at `(y · width + x) · channels + c`. No conversion to floating point happens
/// here: a 16-bit CT slice stays 16-bit until a pipeline stage turns it into a tensor.
public struct Scan: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var samples: Samples
    public var metadata: ScanMetadata

    public init(width: Int, height: Int, channels: Int, samples: Samples,
                metadata: ScanMetadata) {
        precondition(samples.count == width * height * channels,
                     "Scan \(width)x\(height)x\(channels) needs \(width * height * channels) "
                     + "samples, got \(samples.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
        self.metadata = metadata
    }
}

/// Sample storage in the file's own type.
public enum Samples: Sendable, Equatable {
    case uint8([UInt8])
    case int8([Int8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case float32([Float])
    case float64([Double])

    /// Number of samples.
    public var count: Int {
        switch self {
        case .uint8(let a): return a.count
        case .int8(let a): return a.count
        case .uint16(let a): return a.count
        case .int16(let a): return a.count
        case .uint32(let a): return a.count
        case .int32(let a): return a.count
        case .float32(let a): return a.count
        case .float64(let a): return a.count
        }
    }

    /// The name used in reports and `conformance/expected.json` (`uint8`, `uint16`, …).
    public var sampleType: SampleType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .float64: return .float64
        }
    }
}

/// The type of one sample.
public enum SampleType: String, Sendable, Codable, CaseIterable {
    case uint8, int8, uint16, int16, uint32, int32, float32, float64

    /// Bytes per sample.
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .float64: return 8
        }
    }
}

/// The container a scan was read from; sniffed from magic bytes, never from the extension.
public enum ImageFormat: String, Sendable, Codable {
    case png, jpeg, tiff
}

/// How the samples' channels are to be read.
public enum ColorModel: String, Sendable, Codable {
    /// Gray, 0 = black.
    case minIsBlack
    /// Gray, 0 = white (TIFF PhotometricInterpretation 0, DICOM MONOCHROME1); reported, the
    /// samples are not inverted.
    case minIsWhite
    case grayAlpha
    case rgb
    case rgba
    /// Palette indices (TIFF), with the palette in `ScanMetadata.palette`.
    case palette
    /// CMYK with the Adobe inversion undone (JPEG) or as stored (TIFF).
    case cmyk
    /// Anything else, with `channels` samples per pixel.
    case other
}

/// Where a scan came from and what the file said about it.
public struct ScanMetadata: Sendable, Equatable, Codable {
    public var format: ImageFormat
    public var colorModel: ColorModel
    /// Significant bits per sample in the file (1, 2, 4, 8, 12, 16, 32, 64).
    public var bitsPerSample: Int
    /// Number of pages (TIFF IFDs in the main chain); 1 for PNG and JPEG.
    public var pageCount: Int
    /// Zero-based page this scan was decoded from.
    public var pageIndex: Int
    /// Physical size of one pixel in millimetres, (x, y), when the file states it.
    public var pixelSizeMM: PixelSize?
    /// The EXIF/TIFF Orientation value found in the file (1…8), if any.
    public var orientation: Int?
    /// Whether that orientation was applied to the samples.
    public var orientationApplied: Bool
    /// Palette entries as 16-bit RGB triples, for `ColorModel.palette`.
    public var palette: [UInt16]?

    public init(format: ImageFormat, colorModel: ColorModel, bitsPerSample: Int,
                pageCount: Int = 1, pageIndex: Int = 0, pixelSizeMM: PixelSize? = nil,
                orientation: Int? = nil, orientationApplied: Bool = false,
                palette: [UInt16]? = nil) {
        self.format = format
        self.colorModel = colorModel
        self.bitsPerSample = bitsPerSample
        self.pageCount = pageCount
        self.pageIndex = pageIndex
        self.pixelSizeMM = pixelSizeMM
        self.orientation = orientation
        self.orientationApplied = orientationApplied
        self.palette = palette
    }
}

/// Pixel spacing in millimetres.
public struct PixelSize: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}
