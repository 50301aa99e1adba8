/// How `ImageDecoder` decodes a file.
public struct DecodeOptions: Sendable, Equatable {
    /// Zero-based page (TIFF IFD in the main chain); PNG and JPEG have only page 0.
    public var page: Int
    /// Apply the EXIF (JPEG) or TIFF Orientation value to the samples. Default true, so that
    /// row 0 is the top of the image as the scanner meant it to be shown.
    public var applyOrientation: Bool
    /// Largest `width × height` accepted, checked from the header before any pixel buffer is
    /// allocated. Default 2^28 (a 16384 × 16384 image), far above any single scan slice.
    public var pixelLimit: Int

    public init(page: Int = 0, applyOrientation: Bool = true, pixelLimit: Int = 1 << 28) {
        precondition(page >= 0, "DecodeOptions.page must be >= 0, got \(page)")
        precondition(pixelLimit > 0, "DecodeOptions.pixelLimit must be > 0, got \(pixelLimit)")
        self.page = page
        self.applyOrientation = applyOrientation
        self.pixelLimit = pixelLimit
    }
}
