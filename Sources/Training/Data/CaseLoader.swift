import Equivariance
import Foundation
import ImageCodecs
import ModelRuntime
import SafeFiles
import StrictJSON
import TensorCore

/// A case ready for a network: preprocessed image planes and its target.
public struct LoadedCase: Sendable, Equatable {
    public var image: ImagePlanes
    /// Per-pixel class indices (segmentation), same width and height as `image`.
    public var labels: LabelMap?
    /// Class index (classification).
    public var classIndex: Int?
    /// Size in mm of a pixel of `image` (the model's input grid, after resizing), when the
    /// scan's file records its pixel size or the loader was given one (`assumedPixelSize`).
    public var pixelSizeMM: PixelSize?

    public init(image: ImagePlanes, labels: LabelMap? = nil, classIndex: Int? = nil,
                pixelSizeMM: PixelSize? = nil) {
        self.image = image
        self.labels = labels
        self.classIndex = classIndex
        self.pixelSizeMM = pixelSizeMM
    }
}

/// Reads cases from disk, decodes and preprocesses them, and keeps them in memory only when the
/// set is small: big sets stream from disk one batch at a time.
public final class CaseLoader {
    public let input: InputSpec
    public let labelClasses: [LabelClass]
    /// Decoder; injectable so tests can feed scans without files.
    let decode: (String) throws -> Scan
    private var cache: [String: LoadedCase] = [:]
    public let caching: Bool
    /// Conversions applied to the scans loaded so far, each scan counted once however often
    /// it is loaded; named after the `consumer` given to `init`.
    public private(set) var conversions: InputConversionLog
    /// Sample formats of the scans loaded so far (what a trained model records).
    public private(set) var sampleFormats: Set<SampleFormat> = []
    private var seen: Set<String> = []
    /// Size in mm of a pixel of a scan as stored whose file records none (a config's
    /// `data.pixelSpacing`, a package's recorded spacing); nil = unknown.
    public var assumedPixelSize: PixelSize?

    /// Resize with a canonicalizer scorer's antialiased filter (`InputSpec.planes(for:file:
    /// conversions:antialiased:)`): set where orientation models are validated and evaluated,
    /// since they are run on scans resized that way.
    public var antialiased = false

    /// Sets whose preprocessed form would exceed this many bytes are not cached under `auto`.
    public static let autoCacheLimit = 256 << 20

    public init(input: InputSpec, labelClasses: [LabelClass] = [],
                cache: DataSpec.CachePolicy = .auto, caseCount: Int,
                consumer: String = "training input",
                decode: @escaping (String) throws -> Scan = { try ImageDecoder.decode(path: $0) }) {
        self.input = input
        self.conversions = InputConversionLog(consumer: consumer)
        self.labelClasses = labelClasses
        self.decode = decode
        let bytesPerCase = input.width * input.height * (input.channels + 1) * 4
        switch cache {
        case .always: caching = true
        case .never: caching = false
        case .auto: caching = caseCount * bytesPerCase <= Self.autoCacheLimit
        }
    }

    /// The preprocessed case: checked against the input spec, converted to its channels,
    /// resized to its size (bilinear for the image, nearest for the label map) and normalised,
    /// as `InputSpec.planes(for:file:conversions:)` does for inference.
    public func load(_ dataCase: DataCase) throws -> LoadedCase {
        if let hit = cache[dataCase.image] { return hit }
        let scan = try decode(dataCase.image)
        var applied = InputConversionLog(consumer: conversions.consumer)
        var result = LoadedCase(image: try input.planes(for: scan, file: dataCase.image,
                                                        conversions: &applied,
                                                        antialiased: antialiased))
        if seen.insert(dataCase.image).inserted {
            for entry in applied.entries {
                conversions.record([entry.conversion], file: dataCase.image)
            }
            sampleFormats.insert(SampleFormat(scan: scan))
        }
        result.pixelSizeMM = (scan.metadata.pixelSizeMM ?? assumedPixelSize).map {
            PixelSize(x: $0.x * Double(scan.width) / Double(input.width),
                      y: $0.y * Double(scan.height) / Double(input.height))
        }
        switch dataCase.target {
        case .classIndex(let k):
            result.classIndex = k
        case .labelMap(let path):
            let labelScan = try decode(path)
            guard labelScan.width == scan.width, labelScan.height == scan.height else {
                throw DataError(.mismatch, file: path, "label map is \(labelScan.width)x"
                                + "\(labelScan.height), its image is \(scan.width)x\(scan.height)")
            }
            result.labels = try LabelMap(scan: labelScan, labels: labelClasses, file: path)
                .resizedNearest(width: input.width, height: input.height)
        case .upright:
            break
        }
        if caching { cache[dataCase.image] = result }
        return result
    }
}

/// Random, seeded changes to training cases; every change is switchable in the config.
public struct Augmenter: Sendable {
    public var spec: AugmentationSpec
    public var group: GroupName

    public init(spec: AugmentationSpec, group: GroupName) {
        self.spec = spec
        self.group = group
    }

    /// The case changed by the enabled augmentations, in a fixed order: group element, flips,
    /// zoom, crop, elastic warp, gamma, inversion, intensity jitter, noise. Draws from
    /// `generator` only for enabled steps.
    public func augment(_ item: LoadedCase, generator: inout SeededGenerator) -> LoadedCase {
        var result = item
        // Flips are elements of D4 whatever the model's group, which may be C4.
        let modelGroup = ModelFactory.group(group)
        func apply(_ pose: GroupElement) {
            result.image = Group.d4.transform(result.image, by: pose)
            result.labels = result.labels.map { Group.d4.transform($0, by: pose) }
        }
        if spec.groupElements {
            apply(modelGroup.element(at: generator.nextInt(below: modelGroup.order)))
        }
        if spec.flips {
            if generator.nextDouble() < 0.5 { apply(GroupElement(mirrored: true, rotation: 0)) }
            // Top-bottom mirror = left-right mirror then a half turn.
            if generator.nextDouble() < 0.5 { apply(GroupElement(mirrored: true, rotation: 2)) }
        }
        if let zoom = spec.zoom {
            let factor = Foundation.exp(Foundation.log(zoom[0]) + generator.nextDouble()
                                        * (Foundation.log(zoom[1]) - Foundation.log(zoom[0])))
            let field = DisplacementField.zoom(width: result.image.width,
                                               height: result.image.height, factor: factor)
            result.image = result.image.warped(by: field)
            result.labels = result.labels.map { $0.warped(by: field) }
        }
        if let crop = spec.crop {
            let (w, h) = (crop[0], crop[1])
            let x0 = generator.nextInt(below: result.image.width - w + 1)
            let y0 = generator.nextInt(below: result.image.height - h + 1)
            result.image = result.image.cropped(x: x0, y: y0, width: w, height: h)
            result.labels = result.labels.map { $0.cropped(x: x0, y: y0, width: w, height: h) }
        }
        if let elastic = spec.elastic {
            let field = DisplacementField.random(width: result.image.width,
                                                 height: result.image.height, spec: elastic,
                                                 generator: &generator)
            result.image = result.image.warped(by: field)
            result.labels = result.labels.map { $0.warped(by: field) }
        }
        if spec.gamma > 0 {
            let exponent = Float(Foundation.exp(Foundation.log(1 + spec.gamma)
                                                * (2 * generator.nextDouble() - 1)))
            result.image.values = IntensityMapping.clampedPower(result.image.values,
                                                                exponent: exponent)
        }
        if spec.invert > 0, generator.nextDouble() < spec.invert {
            result.image.values = result.image.values.map { 1 - $0 }
        }
        if spec.contrast > 0 || spec.brightness > 0 {
            let scale = Float(1 + spec.contrast * (2 * generator.nextDouble() - 1))
            let shift = Float(spec.brightness * (2 * generator.nextDouble() - 1))
            result.image.values = result.image.values.map { $0 * scale + shift }
        }
        if spec.noise > 0 {
            var values = result.image.values
            var i = 0
            while i < values.count {
                let (first, second) = generator.nextGaussianPair(scale: spec.noise)
                values[i] += Float(first)
                if i + 1 < values.count { values[i + 1] += Float(second) }
                i += 2
            }
            result.image.values = values
        }
        return result
    }
}

extension ImagePlanes {
    /// The `width × height` window whose top-left corner is (x, y).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> ImagePlanes {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height,
                     "crop \(w)x\(h) at (\(x), \(y)) must lie inside \(width)x\(height)")
        var out = [Float]()
        out.reserveCapacity(channels * w * h)
        for c in 0..<channels {
            for row in y..<(y + h) {
                let start = (c * height + row) * width + x
                out.append(contentsOf: values[start..<(start + w)])
            }
        }
        return ImagePlanes(channels: channels, width: w, height: h, values: out)
    }
}

extension LabelMap {
    /// The `width × height` window whose top-left corner is (x, y).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> LabelMap {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height,
                     "crop \(w)x\(h) at (\(x), \(y)) must lie inside \(width)x\(height)")
        var out = [Int32]()
        out.reserveCapacity(w * h)
        for row in y..<(y + h) {
            out.append(contentsOf: values[(row * width + x)..<(row * width + x + w)])
        }
        return LabelMap(width: w, height: h, values: out)
    }
}

/// Cases stacked for one step.
public struct Batch: Sendable {
    /// `(N, C, H, W)`.
    public var images: Tensor
    /// Class index per case (classification, or the pose index for orientation).
    public var classes: [Int]
    /// `(N, H, W)` class indices, row-major (segmentation); empty otherwise.
    public var labelMaps: [Int32]

    /// Stacks cases of one size.
    public init(_ items: [LoadedCase]) {
        precondition(!items.isEmpty, "a batch needs at least one case")
        let first = items[0].image
        precondition(items.allSatisfy { $0.image.width == first.width
                        && $0.image.height == first.height
                        && $0.image.channels == first.channels },
                     "every case of a batch must have the same size and channels")
        var storage = [Float]()
        storage.reserveCapacity(items.count * first.values.count)
        for item in items { storage.append(contentsOf: item.image.values) }
        images = Tensor(shape: [items.count, first.channels, first.height, first.width],
                        storage: storage)
        classes = items.map { $0.classIndex ?? 0 }
        labelMaps = items.flatMap { $0.labels?.values ?? [] }
    }
}
