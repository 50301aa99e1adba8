/// The closed set of stage operations a pipeline file may name, spelled and parameterised like
/// the MONAI transform of the same meaning (`ScaleIntensityRange`, `a_min`, `spatial_size`).
///
/// No other op exists and none is looked up by name at run time: a pipeline file can only
/// choose among these, so no code is ever evaluated from it.
public enum StageOp: String, Sendable, CaseIterable {
    case loadImage = "LoadImage"
    case ensureChannelFirst = "EnsureChannelFirst"
    case scaleIntensityRange = "ScaleIntensityRange"
    case normalizeIntensity = "NormalizeIntensity"
    case resize = "Resize"
    case centerSpatialCrop = "CenterSpatialCrop"
    case spatialPad = "SpatialPad"
    case rotate90 = "Rotate90"
    case flip = "Flip"
    case canonicalizeOrientation = "CanonicalizeOrientation"
    case classify = "Classify"
    case segment = "Segment"
    case invertCanonicalization = "InvertCanonicalization"
    case keepLargestConnectedComponent = "KeepLargestConnectedComponent"
    case asDiscrete = "AsDiscrete"
    case saveImage = "SaveImage"
    case saveOverlay = "SaveOverlay"

    /// The op's parameters, in documentation order.
    public var parameters: [StageParameter] {
        switch self {
        case .loadImage:
            return [.init("page", .integer(0...Int(Int32.max)), default: .integer(0)),
                    .init("colour", .choice(["keep", "gray", "rgb"]), default: .string("keep")),
                    .init("orientation", .choice(["apply", "keep"]), default: .string("apply")),
                    // width × height accepted, checked from the header before any pixel
                    // buffer is allocated (2^28 = 16384 × 16384).
                    .init("pixel_limit", .integer(1...(1 << 40)), default: .integer(1 << 28))]
        case .ensureChannelFirst, .invertCanonicalization, .keepLargestConnectedComponent:
            return []
        case .scaleIntensityRange:
            return [.init("a_min", .number), .init("a_max", .number),
                    .init("b_min", .number), .init("b_max", .number),
                    .init("clip", .boolean, default: .boolean(false))]
        case .normalizeIntensity:
            return [.init("mode", .choice(["zscore", "percentile"]), default: .string("zscore")),
                    .init("lower", .percentage, default: .number(1)),
                    .init("upper", .percentage, default: .number(99))]
        case .resize, .spatialPad:
            return [.init("spatial_size", .size)]
        case .centerSpatialCrop:
            return [.init("roi_size", .size)]
        case .rotate90:
            return [.init("k", .integer(0...3), default: .integer(1))]
        case .flip:
            return [.init("spatial_axis", .integer(0...1))]
        case .canonicalizeOrientation:
            // Below it (the pose's rotation confidence) the pose is uncertain and nothing is
            // turned; default: the package's calibrated `minConfidence`, else 0 (never
            // abstain); a package whose calibration missed its target turns nothing unless
            // given one. A mirror the package marks uncertain is not undone. "egnn": a
            // continuous (EGNN) package that finds any angle; the scan is turned by
            // interpolation.
            return [.init("model", .model),
                    .init("min_confidence", .unitInterval, default: nil),
                    .init("method", .choice(["discrete", "egnn"]),
                          default: .string("discrete"))]
        case .classify:
            return [.init("model", .model)]
        case .segment:
            return [.init("model", .model),
                    .init("overlap", .fraction, default: .number(0.25))]
        case .asDiscrete:
            // Exactly one of the two; checked by the validator, so neither is required here.
            return [.init("argmax", .boolean, default: nil),
                    .init("threshold", .unitInterval, default: nil)]
        case .saveImage:
            return [.init("what", .choice(["mask", "probabilities", "scan"])),
                    .init("format", .choice(["png", "tiff"]), default: .string("png"))]
        case .saveOverlay:
            return [.init("opacity", .unitInterval, default: .number(0.5))]
        }
    }

    /// Whether the op runs a model package (and so has a `model` parameter).
    public var usesModel: Bool {
        self == .canonicalizeOrientation || self == .classify || self == .segment
    }
}
