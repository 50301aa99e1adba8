import ImageCodecs
import ModelRuntime
import Reports

/// Which way up a value lies: as the scan was, or turned to the canonical pose by a
/// `CanonicalizeOrientation` stage (`InvertCanonicalization` turns it back).
public enum ValueFrame: String, Sendable {
    case scan
    case canonical
}

/// Whether image intensities are still in the scan's sample units.
public enum IntensityState: Sendable, Equatable {
    /// As decoded: what model stages take, since each model normalises its input itself.
    case raw
    /// Mapped by `ScaleIntensityRange` or `NormalizeIntensity`.
    case scaled
}

/// Where a spatial value sits relative to the scan: its frame and its pixel size.
public struct ValueGeometry: Sendable, Equatable {
    public var frame: ValueFrame
    /// Millimetres per pixel along x and y, when the scan records it (kept through crops and
    /// pads, scaled by resizes, swapped by odd quarter turns).
    public var pixelSize: PixelSize?

    /// The geometry after resizing from `old` to `new` pixels.
    func resized(from old: (width: Int, height: Int),
                 to new: (width: Int, height: Int)) -> ValueGeometry {
        var result = self
        if let size = pixelSize {
            result.pixelSize = PixelSize(x: size.x * Double(old.width) / Double(new.width),
                                         y: size.y * Double(old.height) / Double(new.height))
        }
        return result
    }

    /// The geometry after `quarterTurns` quarter turns (x and y swap on odd turns).
    func turned(_ quarterTurns: Int) -> ValueGeometry {
        var result = self
        if quarterTurns % 2 != 0, let size = pixelSize {
            result.pixelSize = PixelSize(x: size.y, y: size.x)
        }
        return result
    }
}

/// What one stage hands to the next.
public enum CaseValue: Sendable {
    /// Channel-first intensity planes.
    case image(ImagePlanes, IntensityState, ValueGeometry)
    /// One softmax probability plane per label of a segmentation model.
    case probabilities(ImagePlanes, labels: [String], ValueGeometry)
    /// A label per pixel (0 = background), indexing `labels`.
    case mask(LabelMap, labels: [String], ValueGeometry)
    /// A classifier's class probabilities.
    case classification(ClassificationOutcome)

    /// The kind, as problems name it ("an image", "probabilities").
    public var kindDescription: String {
        switch self {
        case .image: return "an image"
        case .probabilities: return "probabilities"
        case .mask: return "a mask"
        case .classification: return "a classification"
        }
    }

    var geometry: ValueGeometry? {
        switch self {
        case .image(_, _, let geometry), .probabilities(_, _, let geometry),
             .mask(_, _, let geometry):
            return geometry
        case .classification:
            return nil
        }
    }
}
