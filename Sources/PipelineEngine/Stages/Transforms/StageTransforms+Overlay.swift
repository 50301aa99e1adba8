import ImageCodecs
import ModelRuntime
import TensorCore

extension StageTransforms {
    /// An overlay colour, 8 bits per channel.
    public struct OverlayColour: Sendable, Equatable {
        public var red: UInt8, green: UInt8, blue: UInt8

        public init(red: UInt8, green: UInt8, blue: UInt8) {
            self.red = red
            self.green = green
            self.blue = blue
        }
    }

    /// Label colours of overlays: label l ≥ 1 takes entry (l − 1) mod 10. The first ten of
    /// Sasha Trubetskoy's "20 simple, distinct colours": red, green, blue, yellow, orange,
    /// purple, cyan, magenta, lime, pink.
    public static let overlayPalette: [OverlayColour] = [
        .init(red: 230, green: 25, blue: 75), .init(red: 60, green: 180, blue: 75),
        .init(red: 0, green: 130, blue: 200), .init(red: 255, green: 225, blue: 25),
        .init(red: 245, green: 130, blue: 48), .init(red: 145, green: 30, blue: 180),
        .init(red: 70, green: 240, blue: 240), .init(red: 240, green: 50, blue: 230),
        .init(red: 210, green: 245, blue: 60), .init(red: 250, green: 190, blue: 212),
    ]

    /// The colour of non-zero `label` in overlays.
    public static func overlayColour(label: Int32) -> OverlayColour {
        overlayPalette[paletteIndex(label: label)]
    }

    /// The entry of `overlayPalette` that non-zero `label` takes.
    static func paletteIndex(label: Int32) -> Int {
        precondition(label > 0, "only labels above 0 have an overlay colour, got \(label)")
        return (Int(label) - 1) % overlayPalette.count
    }

    /// An 8-bit RGB picture of `planes` with `mask` laid over it, for PNG.
    ///
    /// The scan: a 3-channel image shows as RGB, anything else as gray from channel 0. Its
    /// display window runs from the 1st to the 99th percentile of the samples shown (all three
    /// channels together; numpy's linear interpolation), so that a few extreme pixels do not
    /// wash it out; where those coincide, from the smallest to the largest sample; a constant
    /// scan shows black, and so does a NaN sample. A sample s becomes the 8-bit value
    /// g = round(255 · clamp((s − low) / (high − low), 0, 1)).
    ///
    /// The mask is resized to the scan's size by nearest neighbour when they differ. Each pixel
    /// with a non-zero label l is blended with `overlayColour(label: l)` as
    /// round((1 − opacity) · g + opacity · colour) per channel (halves away from zero); label 0
    /// leaves g as it is.
    ///
    /// - Parameters:
    ///   - opacity: weight of the label colour, 0...1.
    ///   - pixelSize: written to the PNG's pHYs chunk; the scan's own, as the geometry is.
    public static func overlay(scan planes: ImagePlanes, mask: LabelMap, opacity: Double,
                               pixelSize: PixelSize? = nil) -> Scan {
        precondition((0...1).contains(opacity), "opacity must lie in 0...1, got \(opacity)")
        precondition(planes.channels >= 1, "an overlay needs a scan with at least one channel")
        let (width, height) = (planes.width, planes.height)
        let pixels = width * height
        let shown = planes.channels == 3 ? 3 : 1
        let window = displayWindow(Array(planes.values[0..<(shown * pixels)]))
        let labels = mask.resizedNearest(width: width, height: height).values
        let colours = overlayPalette.map { [Double($0.red), Double($0.green), Double($0.blue)] }
        var rgb = [UInt8](repeating: 0, count: pixels * 3)
        for i in 0..<pixels {
            let label = labels[i]
            for c in 0..<3 {
                let shade = Double(window[(shown == 3 ? c : 0) * pixels + i])
                let gray = shade.isNaN ? 0 : (shade * 255).rounded()
                var value = gray
                if label != 0 {
                    let target = colours[paletteIndex(label: label)][c]
                    value = ((1 - opacity) * gray + opacity * target).rounded()
                }
                rgb[i * 3 + c] = UInt8(value)
            }
        }
        return Scan(width: width, height: height, channels: 3, samples: .uint8(rgb),
                    metadata: ScanMetadata(format: .png, colorModel: .rgb, bitsPerSample: 8,
                                           pixelSizeMM: pixelSize))
    }

    /// `mask` as a layer to lay over a picture of its scan: 8-bit RGBA of `width` × `height`
    /// (the mask resized by nearest neighbour), each non-zero label l in
    /// `overlayColour(label: l)` with alpha round(255 · `opacity`), label 0 transparent. Laid
    /// over the scan (alpha compositing), it shows what `overlay` draws, and as a separate
    /// picture of flat colours it compresses to a fraction of a blended one.
    public static func maskLayer(_ mask: LabelMap, width: Int, height: Int,
                                 opacity: Double) -> Scan {
        precondition((0...1).contains(opacity), "opacity must lie in 0...1, got \(opacity)")
        let labels = mask.resizedNearest(width: width, height: height).values
        let alpha = UInt8((opacity * 255).rounded())
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        for (i, label) in labels.enumerated() where label != 0 {
            let colour = overlayColour(label: label)
            rgba.replaceSubrange((i * 4)..<(i * 4 + 4),
                                 with: [colour.red, colour.green, colour.blue, alpha])
        }
        return Scan(width: width, height: height, channels: 4, samples: .uint8(rgba),
                    metadata: ScanMetadata(format: .png, colorModel: .rgba, bitsPerSample: 8))
    }

    /// An 8-bit picture of `planes` for showing: RGB for a 3-channel image, else gray from
    /// channel 0, through the overlay's display window (see `overlay`), so a report's scan and
    /// its overlay have the same brightness.
    public static func displayScan(_ planes: ImagePlanes) -> Scan {
        let pixels = planes.width * planes.height
        let shown = planes.channels == 3 ? 3 : 1
        let window = displayWindow(Array(planes.values[0..<(shown * pixels)]))
        var samples = [UInt8](repeating: 0, count: shown * pixels)
        for i in 0..<pixels {
            for c in 0..<shown {
                let shade = Double(window[c * pixels + i])
                samples[i * shown + c] = shade.isNaN ? 0 : UInt8((shade * 255).rounded())
            }
        }
        return Scan(width: planes.width, height: planes.height, channels: shown,
                    samples: .uint8(samples),
                    metadata: ScanMetadata(format: .png,
                                           colorModel: shown == 3 ? .rgb : .minIsBlack,
                                           bitsPerSample: 8))
    }

    /// `values` mapped onto 0...1 by the overlay's display window (see `overlay`).
    static func displayWindow(_ values: [Float]) -> [Float] {
        guard !values.isEmpty else { return values }
        let sorted = values.sorted()
        var (low, high) = (Statistics.percentile(sorted: sorted, 1),
                           Statistics.percentile(sorted: sorted, 99))
        if high <= low, let first = sorted.first, let last = sorted.last {
            (low, high) = (first, last)
        }
        return IntensityMapping.window(values, low: low, high: high)
    }
}
