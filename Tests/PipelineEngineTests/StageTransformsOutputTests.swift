import ImageCodecs
import ModelRuntime
import PipelineEngine
import TensorCore
import XCTest

/// Overlays and the scans written for masks and probabilities, checked pixel by pixel and
/// through the real encoders and decoders.
final class StageTransformsOutputTests: XCTestCase {
    typealias T = StageTransforms
    typealias G = TransformGrids

    /// The RGB triple of pixel `index` of an 8-bit overlay.
    static func rgb(_ scan: Scan, _ index: Int) -> [UInt8] {
        guard case .uint8(let samples) = scan.samples else { return [] }
        return Array(samples[(index * 3)..<(index * 3 + 3)])
    }

    /// Scan 0, 100, 200, 300: the 1st and 99th percentiles are 3 and 297, so the grays are 0,
    /// round(97 / 294 · 255) = 84, round(197 / 294 · 255) = 171 and 255. At opacity 0.4 label 1
    /// (230, 25, 75) over 84 gives (142.4, 60.4, 80.4) → (142, 60, 80); label 2 (60, 180, 75)
    /// over 171 gives (126.6, 174.6, 132.6) → (127, 175, 133); label 0 keeps the gray.
    func testOverlayColoursAtLabelledAndUnlabelledPixels() {
        let scan = G.planes([[0, 100], [200, 300]])
        let mask = G.mask([[0, 1], [2, 0]])
        let overlay = T.overlay(scan: scan, mask: mask, opacity: 0.4,
                                pixelSize: PixelSize(x: 0.1, y: 0.1))
        XCTAssertEqual([overlay.width, overlay.height, overlay.channels], [2, 2, 3])
        XCTAssertEqual(overlay.metadata.colorModel, .rgb)
        XCTAssertEqual(overlay.metadata.pixelSizeMM, PixelSize(x: 0.1, y: 0.1))
        XCTAssertEqual(Self.rgb(overlay, 0), [0, 0, 0])
        XCTAssertEqual(Self.rgb(overlay, 1), [142, 60, 80])
        XCTAssertEqual(Self.rgb(overlay, 2), [127, 175, 133])
        XCTAssertEqual(Self.rgb(overlay, 3), [255, 255, 255])
    }

    /// Opacity 1 paints the palette colour, 0 leaves the scan; label 11 wraps to label 1's
    /// colour; a 1 × 1 mask is resized to cover the whole scan.
    func testOverlayOpacityPaletteAndResizedMask() {
        let scan = G.planes([[0, 100], [200, 300]])
        let blue = T.overlay(scan: scan, mask: G.mask([[3]]), opacity: 1)
        for i in 0..<4 { XCTAssertEqual(Self.rgb(blue, i), [0, 130, 200]) }
        let plain = T.overlay(scan: scan, mask: G.mask([[3]]), opacity: 0)
        XCTAssertEqual(Self.rgb(plain, 1), [84, 84, 84])
        XCTAssertEqual(T.overlayColour(label: 11), T.overlayColour(label: 1))
        XCTAssertEqual(T.overlayColour(label: 1), .init(red: 230, green: 25, blue: 75))
        XCTAssertEqual(Set(T.overlayPalette.map { [$0.red, $0.green, $0.blue] }).count, 10)
    }

    /// A 3-channel scan shows in colour under one window shared by its channels; a constant
    /// scan shows black.
    func testOverlayOfColourAndConstantScans() {
        let colour = G.planes([[0, 100]], [[100, 0]], [[100, 100]])
        // Samples 0, 100, 100, 0, 100, 100: 1st percentile 0, 99th 100.
        let overlay = T.overlay(scan: colour, mask: G.mask([[0, 0]]), opacity: 0.5)
        XCTAssertEqual(Self.rgb(overlay, 0), [0, 255, 255])
        XCTAssertEqual(Self.rgb(overlay, 1), [255, 0, 255])
        let constant = T.overlay(scan: G.planes([[7, 7]]), mask: G.mask([[0, 1]]), opacity: 0.5)
        XCTAssertEqual(Self.rgb(constant, 0), [0, 0, 0])
        XCTAssertEqual(Self.rgb(constant, 1), [115, 13, 38])
    }

    /// A scan of 101 zeros and one 8 has both percentiles at 0, so the window falls back to
    /// min…max: the zeros show black and the 8 white.
    func testOverlayWindowFallsBackToMinMax() {
        let scan = ImagePlanes(channels: 1, width: 102, height: 1,
                               values: [Float](repeating: 0, count: 101) + [8])
        let mask = LabelMap(width: 102, height: 1, values: [Int32](repeating: 0, count: 102))
        let overlay = T.overlay(scan: scan, mask: mask, opacity: 0.5)
        XCTAssertEqual(Self.rgb(overlay, 0), [0, 0, 0])
        XCTAssertEqual(Self.rgb(overlay, 101), [255, 255, 255])
    }

    /// The overlay survives PNG encoding and decoding sample for sample.
    func testOverlayRoundTripsThroughPNG() throws {
        let overlay = T.overlay(scan: G.planes([[0, 100], [200, 300]]),
                                mask: G.mask([[0, 1], [2, 0]]), opacity: 0.4)
        let decoded = try ImageDecoder.decode(bytes: ImageEncoder.encodePNG(overlay),
                                              name: "overlay.png")
        XCTAssertEqual(decoded.samples, overlay.samples)
        XCTAssertEqual(decoded.channels, 3)
    }

    // MARK: - Mask and probability scans

    func testMaskScanHoldsLabelsAsSamples() throws {
        let mask = G.mask([[0, 1, 2], [3, 0, 255]])
        let scan = T.maskScan(mask, pixelSize: PixelSize(x: 0.5, y: 0.5))
        XCTAssertEqual(scan.samples, .uint8([0, 1, 2, 3, 0, 255]))
        XCTAssertEqual([scan.width, scan.height, scan.channels], [3, 2, 1])
        XCTAssertEqual(scan.metadata.bitsPerSample, 8)
        let decoded = try ImageDecoder.decode(bytes: ImageEncoder.encodePNG(scan),
                                              name: "mask.png")
        XCTAssertEqual(decoded.samples, scan.samples)
        let size = try XCTUnwrap(decoded.metadata.pixelSizeMM)
        XCTAssertEqual(size.x, 0.5, accuracy: 1e-3)
        XCTAssertEqual(T.maskScan(G.mask([[0, 256]])).samples, .uint16([0, 256]))
    }

    /// K planes of H × W become one W × K·H float page; TIFF keeps every bit.
    func testFloatPlanesScanStacksPlanesAndRoundTripsThroughTIFF() throws {
        let probabilities = G.planes([[0.25, 0.5, 0.125]], [[0.75, 0.5, 0.875]])
        let scan = T.floatPlanesScan(probabilities, pixelSize: PixelSize(x: 0.2, y: 0.3))
        XCTAssertEqual([scan.width, scan.height, scan.channels], [3, 2, 1])
        XCTAssertEqual(scan.samples, .float32([0.25, 0.5, 0.125, 0.75, 0.5, 0.875]))
        let decoded = try ImageDecoder.decode(bytes: ImageEncoder.encodeTIFF(scan),
                                              name: "probabilities.tif")
        XCTAssertEqual(decoded.samples, scan.samples)
        XCTAssertEqual([decoded.width, decoded.height], [3, 2])
    }

    /// The report's scan pictures use the overlay's display window: a gray scan shows as the
    /// overlay's gray where no label is laid over it, and RGB channel by channel.
    func testDisplayScanIsTheOverlayWithoutLabels() {
        var generator = SeededGenerator(seed: 23)
        for channels in [1, 3] {
            let planes = ImagePlanes(channels: channels, width: 5, height: 4,
                                     values: (0..<(channels * 20)).map { _ in
                                         generator.nextFloat() * 1000 })
            let shown = T.displayScan(planes)
            let overlay = T.overlay(scan: planes, mask: LabelMap(width: 5, height: 4,
                                                                 values: .init(repeating: 0,
                                                                               count: 20)),
                                    opacity: 0.5)
            XCTAssertEqual(shown.channels, channels)
            XCTAssertEqual(shown.metadata.colorModel, channels == 3 ? .rgb : .minIsBlack)
            guard case .uint8(let gray) = shown.samples else { return XCTFail("8-bit") }
            for pixel in 0..<20 {
                let expected = Self.rgb(overlay, pixel)
                let got = Array(gray[(pixel * channels)..<((pixel + 1) * channels)])
                XCTAssertEqual(got, channels == 3 ? expected : [expected[0]], "pixel \(pixel)")
            }
        }
    }

    /// The report's mask layer, laid over its display scan by alpha compositing, is the
    /// overlay pixel for pixel (opacity 0.4 is alpha 102 of 255 exactly).
    func testMaskLayerOverTheDisplayScanIsTheOverlay() {
        var generator = SeededGenerator(seed: 29)
        let planes = ImagePlanes(channels: 1, width: 6, height: 4, values: (0..<24).map { _ in
            generator.nextFloat() * 300 })
        let mask = LabelMap(width: 3, height: 2, values: [0, 1, 2, 12, 0, 3])
        let layer = T.maskLayer(mask, width: 6, height: 4, opacity: 0.4)
        let overlay = T.overlay(scan: planes, mask: mask, opacity: 0.4)
        guard case .uint8(let rgba) = layer.samples,
              case .uint8(let gray) = T.displayScan(planes).samples else {
            return XCTFail("8-bit")
        }
        XCTAssertEqual([layer.channels, layer.width, layer.height], [4, 6, 4])
        for pixel in 0..<24 {
            let alpha = Double(rgba[pixel * 4 + 3]) / 255
            let composite = (0..<3).map { c in
                UInt8(((1 - alpha) * Double(gray[pixel]) + alpha * Double(rgba[pixel * 4 + c]))
                    .rounded())
            }
            XCTAssertEqual(composite, Self.rgb(overlay, pixel), "pixel \(pixel)")
        }
    }
}
