/// Compression schemes `ImageEncoder.encodeTIFF` writes.
///
/// LZW and Deflate use a horizontal predictor for integers and the floating-point predictor
/// for floats, which typically halves the size of smooth medical images at no loss.
public enum TIFFCompression: String, Sendable, Codable, CaseIterable {
    /// No compression: largest files, fastest to read and write.
    case none
    /// LZW (TIFF Compression 5).
    case lzw
    /// Deflate/zlib (TIFF Compression 8): the default, smallest of the three for scans.
    case deflate
}
