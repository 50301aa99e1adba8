/// What `equiscan inspect` reports about one file: the decoded geometry and sample type, the
/// metadata the file states, and a fingerprint of the decoded samples.
///
/// JSON form (the key names are part of the CLI's contract):
/// ```json
/// {"file": "ct.png", "format": "png", "width": 128, "height": 128, "channels": 1,
///  "sampleType": "uint16", "bitsPerSample": 16, "pages": 1,
///  "pixelSize": {"x": 0.5, "y": 0.5}, "orientation": {"value": null, "applied": false},
///  "samplesSHA256": "…"}
/// ```
/// `pixelSize` is in millimetres or `null`; `orientation.value` is the EXIF/TIFF Orientation
/// found (1…8) or `null`; `samplesSHA256` hashes the decoded samples of the inspected page in
/// the `conformance/expected.json` layout (row-major, interleaved, little-endian). A file that
/// fails is reported as `{"file": …, "error": "…"}` with no other keys.
public struct ScanReport: Codable, Equatable, Sendable {
    /// Orientation found in the file and whether the samples had it applied.
    public struct Orientation: Codable, Equatable, Sendable {
        /// The EXIF (JPEG) or TIFF Orientation value, 1…8, or `nil` when the file has none.
        public var value: Int?
        public var applied: Bool

        public init(value: Int?, applied: Bool) {
            self.value = value
            self.applied = applied
        }

        private enum CodingKeys: String, CodingKey { case value, applied }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            // Explicit null: consumers can rely on the key being present.
            try container.encode(value, forKey: .value)
            try container.encode(applied, forKey: .applied)
        }
    }

    /// The decoded facts of a successfully inspected file.
    public struct Details: Equatable, Sendable {
        public var format: ImageFormat
        public var width: Int
        public var height: Int
        public var channels: Int
        public var sampleType: SampleType
        public var bitsPerSample: Int
        public var pages: Int
        public var pixelSize: PixelSize?
        public var orientation: Orientation
        public var samplesSHA256: String
    }

    /// The path as the caller gave it.
    public var file: String
    /// Set for a successfully decoded file.
    public var details: Details?
    /// The failure message, set when the file could not be decoded.
    public var error: String?

    /// The report of a decoded page: geometry and metadata from `scan`, hash of its samples.
    public init(file: String, scan: Scan) {
        self.file = file
        self.error = nil
        self.details = Details(
            format: scan.metadata.format, width: scan.width, height: scan.height,
            channels: scan.channels, sampleType: scan.samples.sampleType,
            bitsPerSample: scan.metadata.bitsPerSample, pages: scan.metadata.pageCount,
            pixelSize: scan.metadata.pixelSizeMM,
            orientation: Orientation(value: scan.metadata.orientation,
                                     applied: scan.metadata.orientationApplied),
            samplesSHA256: ContentHash.hex(scan.samples))
    }

    /// The report of a file that failed, carrying the failure's message.
    public init(file: String, error: String) {
        self.file = file
        self.details = nil
        self.error = error
    }

    /// Whether this report describes a failure.
    public var isFailure: Bool { details == nil }

    private enum CodingKeys: String, CodingKey {
        case file, format, width, height, channels, sampleType, bitsPerSample, pages, pixelSize
        case orientation, samplesSHA256, error
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        guard let details else {
            try container.encode(error ?? "unknown error", forKey: .error)
            return
        }
        try container.encode(details.format, forKey: .format)
        try container.encode(details.width, forKey: .width)
        try container.encode(details.height, forKey: .height)
        try container.encode(details.channels, forKey: .channels)
        try container.encode(details.sampleType, forKey: .sampleType)
        try container.encode(details.bitsPerSample, forKey: .bitsPerSample)
        try container.encode(details.pages, forKey: .pages)
        try container.encode(details.pixelSize, forKey: .pixelSize)
        try container.encode(details.orientation, forKey: .orientation)
        try container.encode(details.samplesSHA256, forKey: .samplesSHA256)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        file = try container.decode(String.self, forKey: .file)
        if let message = try container.decodeIfPresent(String.self, forKey: .error) {
            error = message
            details = nil
            return
        }
        error = nil
        details = Details(
            format: try container.decode(ImageFormat.self, forKey: .format),
            width: try container.decode(Int.self, forKey: .width),
            height: try container.decode(Int.self, forKey: .height),
            channels: try container.decode(Int.self, forKey: .channels),
            sampleType: try container.decode(SampleType.self, forKey: .sampleType),
            bitsPerSample: try container.decode(Int.self, forKey: .bitsPerSample),
            pages: try container.decode(Int.self, forKey: .pages),
            pixelSize: try container.decodeIfPresent(PixelSize.self, forKey: .pixelSize),
            orientation: try container.decode(Orientation.self, forKey: .orientation),
            samplesSHA256: try container.decode(String.self, forKey: .samplesSHA256))
    }
}

/// Decodes files and summarises them as `ScanReport`s; the engine of `equiscan inspect`.
public enum Inspection {
    /// Decodes page `options.page` of the file at `path` and reports on it.
    ///
    /// - Throws: the decoder's `CodecError` (the CLI turns it into an error report and an
    ///   exit code).
    public static func inspect(path: String,
                               options: DecodeOptions = DecodeOptions()) throws -> ScanReport {
        let scan = try ImageDecoder.decode(path: path, options: options)
        return ScanReport(file: path, scan: scan)
    }
}
