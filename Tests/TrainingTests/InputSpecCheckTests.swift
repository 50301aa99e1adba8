import Foundation
import ImageCodecs
import TensorCore
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// The scan ↔ input-spec check: the conversion table, the bccd-cells package (an 8-bit RGB
/// model with a fixed 0–255 window) fed gray, 16-bit, float, RGBA and matching scans, and the
/// once-per-run conversion report of `Evaluator`.
final class InputSpecCheckTests: XCTestCase {
    static let packagePath = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("samples/models/bccd-cells").path

    /// A seeded scan of `model` with `channels` samples per pixel of the given type.
    func scan(_ model: ColorModel, channels: Int, type: SampleType = .uint8, bits: Int? = nil,
              format: ImageFormat = .png, width: Int = 8, height: Int = 8,
              seed: UInt64 = 7) -> Scan {
        var generator = SeededGenerator(seed: seed)
        let count = width * height * channels
        let raw = (0..<count).map { _ in generator.next() }
        let samples: Samples
        switch type {
        case .uint8: samples = .uint8(raw.map { UInt8(truncatingIfNeeded: $0) })
        case .uint16: samples = .uint16(raw.map { UInt16(truncatingIfNeeded: $0) })
        case .int16: samples = .int16(raw.map { Int16(truncatingIfNeeded: $0) })
        case .float32: samples = .float32(raw.map { Float($0 % 1000) / 1000 })
        default: preconditionFailure("no test scans of \(type)")
        }
        return Scan(width: width, height: height, channels: channels, samples: samples,
                    metadata: ScanMetadata(format: format, colorModel: model,
                                           bitsPerSample: bits ?? type.byteWidth * 8))
    }

    func spec(channels: Int, _ normalization: Normalization = .minMax,
              sampleType: SampleType? = nil, bits: Int? = nil,
              replicateGray: Bool = false) -> InputSpec {
        InputSpec(width: 8, height: 8, channels: channels, normalization: normalization,
                  sampleType: sampleType, bitsPerSample: bits, replicateGray: replicateGray)
    }

    /// The kinds `check` returns, or "refused: <message>".
    func outcome(_ spec: InputSpec, _ scan: Scan) -> String {
        do {
            return try spec.check(scan, file: "s.png", expectedBy: "model m")
                .map(\.kind.rawValue).joined(separator: "+")
        } catch let error as DataError {
            return "refused: " + error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    // MARK: - The table

    func testChannelTable() {
        var palette = scan(.palette, channels: 1)
        palette.metadata.palette = [UInt16](repeating: 65535, count: 3 * 256)
        let cases: [(String, Scan, [String])] = [
            // scan, then the outcome for a 1-channel and a 3-channel input.
            ("gray", scan(.minIsBlack, channels: 1), ["", "refused"]),
            ("gray+alpha", scan(.grayAlpha, channels: 2), ["alphaDropped", "refused"]),
            ("RGB", scan(.rgb, channels: 3), ["luma", ""]),
            ("RGBA", scan(.rgba, channels: 4), ["alphaDropped+luma", "alphaDropped"]),
            ("palette", palette, ["paletteLookedUp+luma", "paletteLookedUp"]),
            ("min-is-white", scan(.minIsWhite, channels: 1), ["refused", "refused"]),
            ("CMYK", scan(.cmyk, channels: 4), ["refused", "refused"]),
            ("other", scan(.other, channels: 3), ["refused", "refused"]),
        ]
        for (name, scan, expected) in cases {
            for (channels, want) in zip([1, 3], expected) {
                let got = outcome(spec(channels: channels), scan)
                if want == "refused" {
                    XCTAssertTrue(got.hasPrefix("refused: "), "\(name) → \(channels): \(got)")
                } else {
                    XCTAssertEqual(got, want, "\(name) → \(channels) channels")
                }
            }
        }
        // Replication only where the spec allows it.
        XCTAssertEqual(outcome(spec(channels: 3, replicateGray: true),
                               scan(.minIsBlack, channels: 1)), "grayReplicated")
        XCTAssertEqual(outcome(spec(channels: 3, replicateGray: true),
                               scan(.grayAlpha, channels: 2)), "alphaDropped+grayReplicated")
    }

    func testSampleTypeTable() {
        let window8 = Normalization.window(low: 0, high: 255)
        let ct = Normalization.window(low: -160, high: 240)
        let cases: [(String, InputSpec, Scan, Bool)] = [
            // Per-image mappings take any sample type.
            ("16-bit, min-max", spec(channels: 1), scan(.minIsBlack, channels: 1, type: .uint16),
             true),
            ("float, z-score", spec(channels: 1, .zScore),
             scan(.minIsBlack, channels: 1, type: .float32), true),
            ("16-bit, percentile", spec(channels: 1, .percentile(lower: 1, upper: 99)),
             scan(.minIsBlack, channels: 1, type: .uint16), true),
            // A 0–255 window without a record means 8-bit.
            ("8-bit, 0–255", spec(channels: 1, window8), scan(.minIsBlack, channels: 1), true),
            ("16-bit, 0–255", spec(channels: 1, window8),
             scan(.minIsBlack, channels: 1, type: .uint16), false),
            ("float, 0–255", spec(channels: 1, window8),
             scan(.minIsBlack, channels: 1, type: .float32), false),
            // PNG expands 4-bit gray to 8 bits; TIFF keeps 0…15.
            ("4-bit PNG, 0–255", spec(channels: 1, window8),
             scan(.minIsBlack, channels: 1, bits: 4, format: .png), true),
            ("4-bit TIFF, 0–255", spec(channels: 1, window8),
             scan(.minIsBlack, channels: 1, bits: 4, format: .tiff), false),
            // A recorded type and bit count are required exactly.
            ("12-bit TIFF, recorded 12-bit", spec(channels: 1, .window(low: 0, high: 4095),
                                                  sampleType: .uint16, bits: 12),
             scan(.minIsBlack, channels: 1, type: .uint16, bits: 12, format: .tiff), true),
            ("16-bit, recorded 12-bit", spec(channels: 1, .window(low: 0, high: 4095),
                                             sampleType: .uint16, bits: 12),
             scan(.minIsBlack, channels: 1, type: .uint16, format: .tiff), false),
            ("signed 16-bit, recorded", spec(channels: 1, ct, sampleType: .int16),
             scan(.minIsBlack, channels: 1, type: .int16, format: .tiff), true),
            ("8-bit, recorded signed 16", spec(channels: 1, ct, sampleType: .int16),
             scan(.minIsBlack, channels: 1), false),
            ("16-bit, raw values of 8-bit", spec(channels: 1, .none, sampleType: .uint8),
             scan(.minIsBlack, channels: 1, type: .uint16), false),
            // A window outside 0…255 and no record: nothing to hold the scan to.
            ("8-bit, unrecorded CT window", spec(channels: 1, ct),
             scan(.minIsBlack, channels: 1), true),
        ]
        for (name, spec, scan, accepted) in cases {
            let got = outcome(spec, scan)
            XCTAssertEqual(!got.hasPrefix("refused"), accepted, "\(name): \(got)")
        }
    }

    func testSummariesNameBothSpecs() {
        XCTAssertEqual(spec(channels: 3, .window(low: 0, high: 255)).summary,
                       "8-bit RGB (window 0–255)")
        XCTAssertEqual(spec(channels: 1, .percentile(lower: 1, upper: 99.5)).summary,
                       "gray (percentiles 1–99.5 per image)")
        XCTAssertEqual(spec(channels: 1, .window(low: -160, high: 240), sampleType: .int16)
                        .summary, "16-bit signed gray (window -160–240)")
        XCTAssertEqual(InputSpec.describe(scan(.minIsBlack, channels: 1, type: .uint16)),
                       "16-bit gray")
        XCTAssertEqual(InputSpec.describe(scan(.rgb, channels: 3, type: .float32)),
                       "32-bit float RGB")
    }

    // MARK: - The bccd-cells package

    func loadPackage() throws -> ModelPackage {
        try ModelPackage.load(Self.packagePath)
    }

    func refusal(_ package: ModelPackage, _ scan: Scan, file: String) -> String? {
        var log = package.conversionLog()
        do {
            _ = try package.planes(for: scan, file: file, conversions: &log)
            return nil
        } catch let error as DataError {
            XCTAssertEqual(error.kind, .unsupportedScan)
            XCTAssertEqual(error.file, file)
            XCTAssertTrue(log.entries.isEmpty, "a refused scan records no conversion")
            return error.description
        } catch {
            return "unexpected \(error)"
        }
    }

    func testCellModelRefusesGray16BitAndFloatScans() throws {
        let package = try loadPackage()
        XCTAssertEqual(package.metadata.input.summary, "8-bit RGB (window 0–255)")
        let window = "model bccd-cells expects 8-bit RGB (window 0–255)"
        XCTAssertEqual(refusal(package, scan(.minIsBlack, channels: 1, width: 64, height: 64),
                               file: "cells/gray.png"),
                       "cells/gray.png: 8-bit gray scan, but \(window); repeating gray into "
                       + "RGB does not give the colours the model learnt; use the colour scan")
        XCTAssertEqual(refusal(package, scan(.rgb, channels: 3, type: .uint16, format: .tiff),
                               file: "cells/rgb16.tif"),
                       "cells/rgb16.tif: 16-bit RGB scan, but \(window); convert it first")
        XCTAssertEqual(refusal(package, scan(.minIsBlack, channels: 1, type: .uint16,
                                             format: .tiff), file: "cells/x.tif"),
                       "cells/x.tif: 16-bit gray scan, but \(window); convert it first")
        XCTAssertEqual(refusal(package, scan(.rgb, channels: 3, type: .float32, format: .tiff),
                               file: "cells/f.tif"),
                       "cells/f.tif: 32-bit float RGB scan, but \(window); convert it first")
    }

    func testCellModelDropsAlphaAndReportsItOnce() throws {
        let package = try loadPackage()
        let rgba = scan(.rgba, channels: 4, width: 64, height: 64, seed: 11)
        guard case .uint8(let values) = rgba.samples else { return XCTFail("uint8 scan") }
        var rgbValues: [UInt8] = []
        for i in stride(from: 0, to: values.count, by: 4) { rgbValues += values[i..<(i + 3)] }
        let rgb = Scan(width: 64, height: 64, channels: 3, samples: .uint8(rgbValues),
                       metadata: ScanMetadata(format: .png, colorModel: .rgb, bitsPerSample: 8))

        var log = package.conversionLog()
        let fromRGBA = try package.planes(for: rgba, file: "cells/a.png", conversions: &log)
        _ = try package.planes(for: rgba, file: "cells/b.png", conversions: &log)
        XCTAssertEqual(fromRGBA, try package.planes(for: rgb, file: "cells/c.png"),
                       "dropping alpha gives the planes of the RGB scan")
        XCTAssertEqual(log.entries.map(\.conversion.kind), [.alphaDropped])
        XCTAssertEqual(log.lines, ["converted for model bccd-cells: 8-bit RGBA scans: alpha "
                                   + "channel dropped (2 scans, first cells/a.png)"])

        var matching = package.conversionLog()
        let planes = try package.planes(for: rgb, file: "cells/c.png", conversions: &matching)
        XCTAssertTrue(matching.entries.isEmpty, "a matching scan needs no conversion")
        XCTAssertEqual([planes.channels, planes.width, planes.height], [3, 64, 64])
    }

    /// `equiscan evaluate`'s library path: conversions once per run, however often each scan is
    /// loaded (once per group element); a gray test set stops with the refusal.
    func testEvaluatorReportsConversionsOnceAndRefusesGray() throws {
        let package = try loadPackage()
        let root = temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/rgba/RBC",
                                                withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/gray/RBC",
                                                withIntermediateDirectories: true)
        for i in 0..<2 {
            try ImageEncoder.write(scan(.rgba, channels: 4, width: 64, height: 64,
                                        seed: UInt64(i)),
                                   to: "\(root)/rgba/RBC/\(i).png", format: .png)
            try ImageEncoder.write(scan(.minIsBlack, channels: 1, width: 64, height: 64,
                                        seed: UInt64(i)),
                                   to: "\(root)/gray/RBC/\(i).png", format: .png)
        }
        let report = try Evaluator.evaluate(package, data: root + "/rgba")
        XCTAssertEqual(report.cases, 2)
        XCTAssertEqual(report.inputConversions,
                       ["converted for model bccd-cells: 8-bit RGBA scans: alpha channel "
                        + "dropped (2 scans, first \(root)/rgba/RBC/0.png)"])
        XCTAssertThrowsError(try Evaluator.evaluate(package, data: root + "/gray")) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("\(root)/gray/RBC/0.png: 8-bit gray scan, but model "
                                         + "bccd-cells expects 8-bit RGB (window 0–255)"), text)
        }
    }

    // MARK: - Spec fields

    func testOptionalFieldsParseDecodeAndStayOutWhenUnset() throws {
        let parsed = try InputSpec.parse(ConfigNode.parse("""
            {"width": 16, "height": 16, "channels": 3, "sampleType": "uint16",
             "bitsPerSample": 12, "replicateGray": true,
             "normalization": {"kind": "window", "low": 0, "high": 4095}}
            """))
        XCTAssertEqual(parsed, spec(channels: 3, .window(low: 0, high: 4095),
                                    sampleType: .uint16, bits: 12, replicateGray: true)
                        .resized(16))
        let encoded = try JSONEncoder().encode(parsed)
        XCTAssertEqual(try JSONDecoder().decode(InputSpec.self, from: encoded), parsed)

        let old = #"{"width":8,"height":8,"channels":1,"normalization":{"kind":"minMax"}}"#
        let decoded = try JSONDecoder().decode(InputSpec.self, from: Data(old.utf8))
        XCTAssertEqual(decoded, spec(channels: 1))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(String(decoding: try encoder.encode(decoded), as: UTF8.self),
                       #"{"channels":1,"height":8,"normalization":{"kind":"minMax"},"width":8}"#)

        for (json, message) in [
            (#""sampleType": "uint12""#, "/input/sampleType expected one of"),
            (#""bitsPerSample": 12"#, "/input/bitsPerSample needs sampleType beside it"),
            (#""sampleType": "uint8", "bitsPerSample": 12"#,
             "/input/bitsPerSample expected at most 8 bits for uint8"),
        ] {
            let text = #"{"input": {"width": 8, "height": 8, "channels": 1, "#
                + json + "}}"
            let root = try ConfigNode.parse(text).object(keys: ["input"])
            XCTAssertThrowsError(try InputSpec.parse(root.required("input"))) { error in
                XCTAssertTrue(String(describing: error).contains(message), "\(error)")
            }
        }
    }

    func testTrainerRecordsOneSharedSampleFormat() {
        let open = spec(channels: 3, .window(low: 0, high: 255))
        let eight = SampleFormat(type: .uint8, bits: 8)
        XCTAssertEqual(Trainer.recordedInput(open, formats: [eight]).sampleType, .uint8)
        XCTAssertEqual(Trainer.recordedInput(open, formats: [eight]).bitsPerSample, 8)
        XCTAssertNil(Trainer.recordedInput(
            open, formats: [eight, SampleFormat(type: .uint16, bits: 16)]).sampleType,
            "mixed sample types record nothing")
        let fixed = spec(channels: 1, sampleType: .uint16)
        XCTAssertEqual(Trainer.recordedInput(fixed, formats: [eight]), fixed,
                       "a type the config states is kept")
    }
}

private extension InputSpec {
    func resized(_ side: Int) -> InputSpec {
        var copy = self
        copy.width = side
        copy.height = side
        return copy
    }
}
