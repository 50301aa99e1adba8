import ImageCodecs
import StrictJSON
import TensorCore

/// How a scan's intensities are mapped to the network's range.
///
/// Per-image modes (`minMax`, `zScore`, `percentile`) adapt to each scan and suit microscopy
/// and MRI, whose absolute values vary between acquisitions; `window` is fixed and suits
/// calibrated units such as CT Hounsfield values (e.g. a soft-tissue window low -160, high 240).
public enum Normalization: Sendable, Equatable {
    /// Samples as decoded, converted to Float.
    case none
    /// Each image scaled so its minimum is 0 and its maximum 1 (a constant image becomes 0).
    case minMax
    /// Each image shifted and scaled to mean 0, standard deviation 1 (a constant image: 0).
    case zScore
    /// Each image clipped to its [lower, upper] percentiles (0…100) and scaled to [0, 1].
    case percentile(lower: Double, upper: Double)
    /// Fixed window: values clipped to [low, high] and scaled to [0, 1].
    case window(low: Double, high: Double)

    /// The name used in config files and metadata.
    public var kind: String {
        switch self {
        case .none: return "none"
        case .minMax: return "minMax"
        case .zScore: return "zScore"
        case .percentile: return "percentile"
        case .window: return "window"
        }
    }
}

/// What the network receives: size, channel count, intensity mapping, and the samples the
/// intensity mapping was tuned to.
///
/// Every scan is checked against the spec before it becomes planes (`check(_:file:expectedBy:)`);
/// the conversions that keep its meaning are applied and reported, all others are refused.
/// The table, scan → input:
///
/// | scan | 1-channel input | 3-channel input |
/// | --- | --- | --- |
/// | gray | as is | refused, unless `replicateGray` (then the plane is repeated) |
/// | gray + alpha | alpha dropped | as gray, alpha dropped |
/// | RGB | Rec. 601 luma | as is |
/// | RGBA | alpha dropped, luma | alpha dropped |
/// | palette | looked up to 8-bit RGB, luma | looked up to 8-bit RGB |
/// | min-is-white gray, CMYK, other colour models | refused | refused |
///
/// Repeating gray into RGB is refused by default because a colour model reads stain colour
/// (a blood-cell classifier tells a purple leucocyte from a red erythrocyte by it): three equal
/// planes are far from anything it learnt, and its answers on them are confident and wrong.
/// Luma of a colour scan is what gray models were trained on, so it is faithful. Min-is-white
/// samples would reach the network inverted, so they are refused until inverted.
///
/// Sample types: a fixed mapping (`window`, `none`) works in the units of the samples it was
/// tuned to, so the scan's sample type and significant bits must be the expected ones (a
/// 16-bit or float scan through a 0–255 window is clipped to nonsense); per-image mappings
/// (`minMax`, `zScore`, `percentile`) accept any sample type.
public struct InputSpec: Sendable, Equatable {
    /// Width and height every scan is resized to (bilinear for images, nearest for labels).
    public var width: Int
    public var height: Int
    /// 1 (colour scans are turned to gray by Rec. 601 luma) or 3 (colour scans only, unless
    /// `replicateGray`).
    public var channels: Int
    public var normalization: Normalization
    /// The sample type the model was trained on (`uint8`, `uint16`, `float32`, …); `nil` in
    /// packages written before it was recorded. With a fixed `window` that lies within 0…255
    /// and no recorded type, 8-bit unsigned samples are expected.
    public var sampleType: SampleType?
    /// Significant bits per sample the model was trained on (12 for 12-bit CT in 16-bit
    /// words); `nil` when not recorded, then any bit count of `sampleType` is accepted.
    public var bitsPerSample: Int?
    /// Whether a gray scan may feed a 3-channel input by repeating its plane: only for models
    /// trained that way. Off by default (see the table above for why).
    public var replicateGray: Bool

    public init(width: Int, height: Int, channels: Int, normalization: Normalization,
                sampleType: SampleType? = nil, bitsPerSample: Int? = nil,
                replicateGray: Bool = false) {
        self.width = width
        self.height = height
        self.channels = channels
        self.normalization = normalization
        self.sampleType = sampleType
        self.bitsPerSample = bitsPerSample
        self.replicateGray = replicateGray
    }
}

extension Normalization {
    /// Parses `{"kind": "minMax"}`, `{"kind": "percentile", "lower": 1, "upper": 99}`,
    /// `{"kind": "window", "low": -160, "high": 240}`, or the bare kind as a string.
    public static func parse(_ node: ConfigNode) throws -> Normalization {
        let kinds = ["none", "minMax", "zScore", "percentile", "window"]
        if case .string(let kind) = node.value {
            switch kind {
            case "none": return .none
            case "minMax": return .minMax
            case "zScore": return .zScore
            default:
                throw node.mismatch("one of \"none\", \"minMax\", \"zScore\" or an object "
                                    + "with \"kind\" (percentile and window need bounds)")
            }
        }
        let object = try node.object(keys: ["kind", "lower", "upper", "low", "high"])
        let kindNode = try object.required("kind")
        let kind = try kindNode.string()
        func onlyKeys(_ allowed: [String]) throws {
            for key in ["lower", "upper", "low", "high"] where !allowed.contains(key)
                && object.contains(key) {
                throw object.error(at: key, "not used by normalization kind \"\(kind)\"")
            }
        }
        switch kind {
        case "none": try onlyKeys([]); return .none
        case "minMax": try onlyKeys([]); return .minMax
        case "zScore": try onlyKeys([]); return .zScore
        case "percentile":
            try onlyKeys(["lower", "upper"])
            let lower = try object.value("lower", default: 1) { try $0.number(in: 0...100) }
            let upperNode = object.optional("upper")
            let upper = try upperNode.map { try $0.number(in: 0...100) } ?? 99
            if upper <= lower {
                throw (upperNode ?? kindNode).mismatch("an upper percentile above lower "
                                                       + "(\(ConfigNode.format(lower)))")
            }
            return .percentile(lower: lower, upper: upper)
        case "window":
            try onlyKeys(["low", "high"])
            let low = try object.required("low").number()
            let highNode = try object.required("high")
            let high = try highNode.number()
            guard high > low else {
                throw highNode.mismatch("a number above low (\(ConfigNode.format(low)))")
            }
            return .window(low: low, high: high)
        default:
            throw kindNode.mismatch("one of " + kinds.map { "\"\($0)\"" }
                .joined(separator: ", "))
        }
    }

    /// The config/metadata JSON form, the inverse of `parse`.
    public var jsonValue: JSONValue {
        func num(_ x: Double) -> JSONValue { .number(x, literal: ConfigNode.format(x)) }
        switch self {
        case .none, .minMax, .zScore: return .object([("kind", .string(kind))])
        case let .percentile(lower, upper):
            return .object([("kind", .string(kind)), ("lower", num(lower)), ("upper", num(upper))])
        case let .window(low, high):
            return .object([("kind", .string(kind)), ("low", num(low)), ("high", num(high))])
        }
    }
}

extension InputSpec {
    /// Parses `{"width": 64, "height": 64, "channels": 3, "normalization": …}`, with the
    /// optional `"sampleType": "uint8"`, `"bitsPerSample": 8` and `"replicateGray": true`.
    public static func parse(_ node: ConfigNode) throws -> InputSpec {
        let object = try node.object(keys: ["width", "height", "channels", "normalization",
                                            "sampleType", "bitsPerSample", "replicateGray"])
        let width = try object.required("width").integer(in: 4...4096)
        let height = try object.required("height").integer(in: 4...4096)
        let channelsNode = try object.required("channels")
        let channels = try channelsNode.integer()
        guard channels == 1 || channels == 3 else { throw channelsNode.mismatch("1 or 3") }
        let normalization = try object.value("normalization", default: .minMax,
                                             Normalization.parse)
        let sampleType = try object.optional("sampleType").map { node -> SampleType in
            guard let type = SampleType(rawValue: try node.string()) else {
                throw node.mismatch("one of " + SampleType.allCases.map { "\"\($0.rawValue)\"" }
                    .joined(separator: ", "))
            }
            return type
        }
        let bitsNode = object.optional("bitsPerSample")
        let bits = try bitsNode.map { try $0.integer(in: 1...64) }
        if let bits, let bitsNode {
            guard let sampleType else {
                throw bitsNode.error("needs sampleType beside it")
            }
            guard bits <= sampleType.byteWidth * 8 else {
                throw bitsNode.mismatch("at most \(sampleType.byteWidth * 8) bits for "
                                        + sampleType.rawValue)
            }
        }
        let replicateGray = try object.value("replicateGray", default: false) { try $0.bool() }
        if replicateGray && channels != 3 {
            throw ConfigError(path: node.path.appending("replicateGray"),
                              message: "only meaningful with 3 channels")
        }
        return InputSpec(width: width, height: height, channels: channels,
                         normalization: normalization, sampleType: sampleType,
                         bitsPerSample: bits, replicateGray: replicateGray)
    }
}

extension InputSpec: Codable {
    private enum Keys: String, CodingKey {
        case width, height, channels, normalization, sampleType, bitsPerSample, replicateGray
    }

    /// Encodes the config form; unset optional fields are left out, so packages and configs
    /// written before they existed read and re-encode unchanged.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(channels, forKey: .channels)
        try container.encode(normalization, forKey: .normalization)
        try container.encodeIfPresent(sampleType, forKey: .sampleType)
        try container.encodeIfPresent(bitsPerSample, forKey: .bitsPerSample)
        if replicateGray { try container.encode(true, forKey: .replicateGray) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.init(width: try container.decode(Int.self, forKey: .width),
                  height: try container.decode(Int.self, forKey: .height),
                  channels: try container.decode(Int.self, forKey: .channels),
                  normalization: try container.decode(Normalization.self,
                                                      forKey: .normalization),
                  sampleType: try container.decodeIfPresent(SampleType.self,
                                                            forKey: .sampleType),
                  bitsPerSample: try container.decodeIfPresent(Int.self, forKey: .bitsPerSample),
                  replicateGray: try container.decodeIfPresent(Bool.self,
                                                               forKey: .replicateGray) ?? false)
    }
}

extension Normalization: Codable {
    private enum Keys: String, CodingKey { case kind, lower, upper, low, high }

    /// Encodes the config form: `{"kind": "window", "low": -160, "high": 240}`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .none, .minMax, .zScore: break
        case let .percentile(lower, upper):
            try container.encode(lower, forKey: .lower)
            try container.encode(upper, forKey: .upper)
        case let .window(low, high):
            try container.encode(low, forKey: .low)
            try container.encode(high, forKey: .high)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "none": self = .none
        case "minMax": self = .minMax
        case "zScore": self = .zScore
        case "percentile":
            self = .percentile(lower: try container.decode(Double.self, forKey: .lower),
                               upper: try container.decode(Double.self, forKey: .upper))
        case "window":
            self = .window(low: try container.decode(Double.self, forKey: .low),
                           high: try container.decode(Double.self, forKey: .high))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown normalization \(other)")
        }
    }
}
