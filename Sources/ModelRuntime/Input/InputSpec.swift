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

/// What the network receives: size, channel count and intensity mapping.
public struct InputSpec: Sendable, Equatable, Codable {
    /// Width and height every scan is resized to (bilinear for images, nearest for labels).
    public var width: Int
    public var height: Int
    /// 1 (colour scans are turned to gray by Rec. 601 luma) or 3 (gray scans are repeated).
    public var channels: Int
    public var normalization: Normalization

    public init(width: Int, height: Int, channels: Int, normalization: Normalization) {
        self.width = width
        self.height = height
        self.channels = channels
        self.normalization = normalization
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
    /// Parses `{"width": 64, "height": 64, "channels": 3, "normalization": …}`.
    public static func parse(_ node: ConfigNode) throws -> InputSpec {
        let object = try node.object(keys: ["width", "height", "channels", "normalization"])
        let width = try object.required("width").integer(in: 4...4096)
        let height = try object.required("height").integer(in: 4...4096)
        let channelsNode = try object.required("channels")
        let channels = try channelsNode.integer()
        guard channels == 1 || channels == 3 else { throw channelsNode.mismatch("1 or 3") }
        let normalization = try object.value("normalization", default: .minMax,
                                             Normalization.parse)
        return InputSpec(width: width, height: height, channels: channels,
                         normalization: normalization)
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
