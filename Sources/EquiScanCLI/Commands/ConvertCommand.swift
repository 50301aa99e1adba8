import ArgumentParser
import ImageCodecs
import SafeFiles

/// `equiscan convert INPUT OUTPUT`: decodes a scan and writes it as PNG or TIFF, samples
/// unchanged (orientation applied unless `--keep-orientation`).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Decode a scan and write it losslessly as PNG or TIFF.",
        discussion: """
            The output format is the output's extension (.png, .tif, .tiff); --format, when \
            given, must agree with it. PNG holds 8/16-bit unsigned samples; TIFF also signed \
            and float samples. The output is written atomically (temporary file, then \
            rename) and never over the input (same path, symlink or hard link: exit 64). One \
            page is converted (--page); pixel size is kept, other metadata is not. Exit \
            status: 0 done; 64 usage; 65 unreadable input; 66 missing input; 75 interrupted \
            or the output could not be written.
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

    @Option(help: "TIFF compression: none, lzw or deflate (default deflate; TIFF only).")
    var compression: TIFFCompression?

    @Option(name: .customLong("pixel-size"), parsing: .unconditional,
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
        let format = try outputFormat()
        if compression != nil, format != .tiff {
            throw ValidationError("--compression applies to TIFF output only; '\(output)' is "
                                  + "written as PNG")
        }
    }

    func run() throws {
        ProtectedInputs.shared.protect([input])
        try ProtectedInputs.shared.checkNotInput(output)
        var scan = try ImageDecoder.decode(
            path: input, options: DecodeOptions(page: page, applyOrientation: !keepOrientation))
        if let pixelSize {
            scan.metadata.pixelSizeMM = PixelSize(x: pixelSize, y: pixelSize)
        }
        try ImageEncoder.write(scan, to: output, format: outputFormat(),
                               tiffCompression: compression ?? .deflate)
    }

    private func outputFormat() throws -> ImageFormat {
        let lower = output.lowercased()
        let byName: ImageFormat? = lower.hasSuffix(".png") ? .png
            : lower.hasSuffix(".tif") || lower.hasSuffix(".tiff") ? .tiff : nil
        if let format {
            let chosen: ImageFormat = format == .png ? .png : .tiff
            if byName != chosen {
                throw ValidationError("--format \(format.rawValue) does not match the output "
                                      + "name '\(output)'; use a .\(format.rawValue) name")
            }
            return chosen
        }
        if let byName { return byName }
        throw ValidationError("cannot tell the output format from '\(output)'; expected a "
                              + ".png, .tif or .tiff name, or --format png|tiff")
    }
}

extension TIFFCompression: ExpressibleByArgument {}
