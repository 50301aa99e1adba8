import Canonicalization
import ImageCodecs
import StrictJSON

/// The sample type and significant bits of a scan's values as they reach `ImagePlanes`.
public struct SampleFormat: Sendable, Hashable, Codable, CustomStringConvertible {
    public var type: SampleType
    /// Significant bits: 8 for 8-bit, 12 for 12-bit samples in 16-bit words.
    public var bits: Int

    public init(type: SampleType, bits: Int) {
        self.type = type
        self.bits = bits
    }

    /// The format of the values a decoded scan holds. PNG expands 1, 2 and 4-bit gray and
    /// palettes to 8 bits, so its samples use their whole type; TIFF and JPEG keep the file's
    /// bit count unscaled (a 12-bit TIFF holds 0…4095); palette entries are looked up to 8 bits.
    public init(scan: Scan) {
        if scan.metadata.colorModel == .palette {
            self.init(type: .uint8, bits: 8)
            return
        }
        let type = scan.samples.sampleType
        let width = type.byteWidth * 8
        let stated = scan.metadata.bitsPerSample
        let bits = scan.metadata.format == .png || stated < 1 || stated > width ? width : stated
        self.init(type: type, bits: bits)
    }

    /// "8-bit", "12-bit", "16-bit signed", "32-bit float".
    public var description: String {
        switch type {
        case .float32, .float64: return "\(bits)-bit float"
        case .int8, .int16, .int32: return "\(bits)-bit signed"
        case .uint8, .uint16, .uint32: return "\(bits)-bit"
        }
    }
}

/// A conversion that keeps a scan's meaning and is applied on the way to a model's input.
public struct InputConversion: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// RGBA → RGB, gray + alpha → gray.
        case alphaDropped
        /// Palette indices → 8-bit RGB (16-bit palette entries divided by 257).
        case paletteLookedUp
        /// RGB → gray by Rec. 601 luma, 0.299 R + 0.587 G + 0.114 B.
        case luma
        /// Gray → RGB by repeating the plane; only where the spec allows it (`replicateGray`).
        case grayReplicated

        /// What was done, in words.
        public var action: String {
            switch self {
            case .alphaDropped: return "alpha channel dropped"
            case .paletteLookedUp: return "palette looked up to 8-bit RGB"
            case .luma: return "turned to gray by Rec. 601 luma (0.299 R + 0.587 G + 0.114 B)"
            case .grayReplicated: return "gray plane repeated into RGB (input.replicateGray)"
            }
        }
    }

    public var kind: Kind
    /// The scan it applies to, as in errors: "8-bit RGBA".
    public var scan: String

    public init(kind: Kind, scan: String) {
        self.kind = kind
        self.scan = scan
    }

    /// "8-bit RGBA scans: alpha channel dropped".
    public var description: String { "\(scan) scans: \(kind.action)" }
}

/// The distinct conversions applied during one run, for reporting each once.
///
/// A value type: one owner records into it (`CaseLoader`, a command's loop) and hands the
/// finished log on.
public struct InputConversionLog: Sendable, Equatable, Codable {
    /// One distinct conversion, how many scans it was applied to and the first of them.
    public struct Entry: Sendable, Equatable, Codable {
        public var conversion: InputConversion
        public var scans: Int
        public var firstFile: String
    }

    /// Who consumed the scans, as in errors: "model bccd-cells", "training input".
    public var consumer: String
    /// In the order first seen.
    public private(set) var entries: [Entry] = []

    public init(consumer: String) {
        self.consumer = consumer
    }

    /// Counts `conversions`, applied to the scan at `file`.
    public mutating func record(_ conversions: [InputConversion], file: String) {
        for conversion in conversions {
            if let index = entries.firstIndex(where: { $0.conversion == conversion }) {
                entries[index].scans += 1
            } else {
                entries.append(Entry(conversion: conversion, scans: 1, firstFile: file))
            }
        }
    }

    /// One line per distinct conversion: "converted for model bccd-cells: 8-bit RGBA scans:
    /// alpha channel dropped (12 scans, first cells/a.png)".
    public var lines: [String] {
        entries.map { entry in
            "converted for \(consumer): \(entry.conversion) (\(entry.scans) "
                + (entry.scans == 1 ? "scan" : "scans") + ", first \(entry.firstFile))"
        }
    }
}

extension InputSpec {
    /// The sample format a fixed intensity mapping needs, or `nil` when any will do.
    ///
    /// Per-image mappings adapt to any range. A fixed one needs the recorded `sampleType`
    /// (and `bitsPerSample` when recorded); without a record, a window inside 0…255 means
    /// 8-bit unsigned samples, and anything else cannot be told.
    public var requiredSampleFormat: (type: SampleType, bits: Int?)? {
        switch normalization {
        case .minMax, .zScore, .percentile:
            return nil
        case .none, .window:
            if let sampleType { return (sampleType, bitsPerSample) }
            if case let .window(low, high) = normalization, low >= 0, high <= 255 {
                return (.uint8, 8)
            }
            return nil
        }
    }

    /// The input in words, as errors name it: "8-bit RGB (window 0–255)".
    public var summary: String {
        var depth = ""
        if let expected = requiredSampleFormat ?? sampleType.map({ ($0, bitsPerSample) }) {
            let bits = expected.bits ?? expected.type.byteWidth * 8
            depth = SampleFormat(type: expected.type, bits: bits).description + " "
        }
        let colour = channels == 3 ? "RGB" : "gray"
        let mapping: String
        switch normalization {
        case .none: mapping = "raw values"
        case .minMax: mapping = "min-max per image"
        case .zScore: mapping = "z-score per image"
        case let .percentile(lower, upper):
            mapping = "percentiles \(ConfigNode.format(lower))–\(ConfigNode.format(upper)) "
                + "per image"
        case let .window(low, high):
            mapping = "window \(ConfigNode.format(low))–\(ConfigNode.format(high))"
        }
        return depth + colour + " (\(mapping))"
    }

    /// A scan in words, as errors name it: "16-bit gray", "8-bit RGBA", "32-bit float gray".
    public static func describe(_ scan: Scan) -> String {
        if scan.metadata.colorModel == .palette {
            return "\(scan.metadata.bitsPerSample)-bit palette"
        }
        let colour: String
        switch scan.metadata.colorModel {
        case .minIsBlack: colour = "gray"
        case .minIsWhite: colour = "min-is-white gray"
        case .grayAlpha: colour = "gray+alpha"
        case .rgb: colour = "RGB"
        case .rgba: colour = "RGBA"
        case .palette: colour = "palette"
        case .cmyk: colour = "CMYK"
        case .other: colour = "\(scan.channels)-channel"
        }
        return "\(SampleFormat(scan: scan)) \(colour)"
    }

    /// Checks `scan` against this spec and returns the conversions that turning it into input
    /// planes applies (see the table on `InputSpec`), in the order applied; throws a
    /// `DataError` naming `file`, the scan and the input `consumer` expects when no faithful
    /// conversion exists.
    ///
    /// `consumer` names the model in errors: "model bccd-cells", "training input".
    public func check(_ scan: Scan, file: String,
                      expectedBy consumer: String) throws -> [InputConversion] {
        let scanText = Self.describe(scan)
        func refuse(_ advice: String) -> DataError {
            DataError(.unsupportedScan, file: file, "\(scanText) scan, but \(consumer) expects "
                      + "\(summary); \(advice)")
        }
        if let required = requiredSampleFormat {
            let format = SampleFormat(scan: scan)
            guard format.type == required.type,
                  required.bits.map({ $0 == format.bits }) ?? true else {
                throw refuse("convert it first")
            }
        }
        var conversions: [InputConversion] = []
        func apply(_ kind: InputConversion.Kind) {
            conversions.append(InputConversion(kind: kind, scan: scanText))
        }
        let colour: Bool
        switch (scan.metadata.colorModel, scan.channels) {
        case (.minIsBlack, 1):
            colour = false
        case (.grayAlpha, 2):
            apply(.alphaDropped)
            colour = false
        case (.rgb, 3):
            colour = true
        case (.rgba, 4):
            apply(.alphaDropped)
            colour = true
        case (.palette, 1) where scan.metadata.palette != nil:
            apply(.paletteLookedUp)
            colour = true
        case (.minIsWhite, _):
            throw refuse("invert it to min-is-black first")
        default:
            throw refuse("convert it to gray or RGB first")
        }
        if colour && channels == 1 {
            apply(.luma)
        } else if !colour && channels == 3 {
            guard replicateGray else {
                throw refuse("repeating gray into RGB does not give the colours the model "
                             + "learnt; use the colour scan")
            }
            apply(.grayReplicated)
        }
        return conversions
    }

    /// The scan checked, converted to this input's channels, resized and normalised: the one
    /// Scan → planes step of training, evaluation and inference. The conversions applied are
    /// recorded in `conversions`.
    ///
    /// `antialiased` resizes with the antialiased bilinear filter of a canonicalizer's scorer
    /// (`ScorerPreprocessing.resized`), which is how `canonicalize` and the
    /// `CanonicalizeOrientation` stage see a scan, so that orientation models are validated,
    /// calibrated and evaluated on what they are run on; otherwise plain bilinear (training
    /// batches of every task, classifiers and segmenters everywhere).
    public func planes(for scan: Scan, file: String, conversions: inout InputConversionLog,
                       antialiased: Bool = false) throws -> ImagePlanes {
        let applied = try check(scan, file: file, expectedBy: conversions.consumer)
        var planes = try ImagePlanes(scan: scan, channels: channels, file: file)
        if antialiased {
            planes = ImagePlanes(channels: channels, width: width, height: height,
                                 values: ScorerPreprocessing.resized(
                                    planes.values, channels: channels, height: planes.height,
                                    width: planes.width, toHeight: height, toWidth: width))
        } else {
            planes = planes.resizedBilinear(width: width, height: height)
        }
        conversions.record(applied, file: file)
        return planes.normalized(normalization)
    }
}
