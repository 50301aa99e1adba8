import ArgumentParser
import ImageCodecs

/// `equiscan convert INPUT OUTPUT`: decodes a scan and writes it as PNG or TIFF, samples
/// unchanged (orientation applied unless `--keep-orientation`).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Decode a scan and write it losslessly as PNG or TIFF.",
        discussion: """
            The output format is --format, or else the output's extension (.png, .tif, \
            .tiff). PNG holds 8/16-bit unsigned samples; TIFF also signed and float samples. \
            The output is written atomically (temporary file, then rename).
            """)

    /// Output container choices.
    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case png, tiff
    }

    @Argument(help: "The scan to read (PNG, JPEG or TIFF).")
    var input: String

    @Argument(help: "The file to write.")
    var output: String

    @Option(help: "Output format: png or tiff (default: from the output's extension).")
    var format: OutputFormat?

    @Option(help: "TIFF compression: none, lzw or deflate.")
    var compression: TIFFCompression = .deflate

    @Option(name: .customLong("pixel-size"),
            help: ArgumentHelp("Pixel size in mm to record in the output (square pixels), "
                               + "replacing the input's."))
    var pixelSize: Double?

    @Option(help: "Zero-based page of the input to convert.")
    var page = 0

    @Flag(help: "Keep the stored orientation instead of applying the EXIF/TIFF Orientation.")
    var keepOrientation = false

    func validate() throws {
        if page < 0 {
            throw ValidationError("--page must be 0 or more, got \(page)")
        }
        if let pixelSize, !(pixelSize.isFinite && pixelSize > 0) {
            throw ValidationError("--pixel-size must be a positive number of mm, got "
                                  + "\(pixelSize)")
        }
        _ = try outputFormat()
    }

    func run() throws {
        var scan = try ImageDecoder.decode(
            path: input, options: DecodeOptions(page: page, applyOrientation: !keepOrientation))
        if let pixelSize {
            scan.metadata.pixelSizeMM = PixelSize(x: pixelSize, y: pixelSize)
        }
        try ImageEncoder.write(scan, to: output, format: outputFormat(),
                               tiffCompression: compression)
    }

    private func outputFormat() throws -> ImageFormat {
        if let format {
            return format == .png ? .png : .tiff
        }
        let lower = output.lowercased()
        if lower.hasSuffix(".png") { return .png }
        if lower.hasSuffix(".tif") || lower.hasSuffix(".tiff") { return .tiff }
        throw ValidationError("cannot tell the output format from '\(output)'; expected a "
                              + ".png, .tif or .tiff name, or --format png|tiff")
    }
}

extension TIFFCompression: ExpressibleByArgument {}
