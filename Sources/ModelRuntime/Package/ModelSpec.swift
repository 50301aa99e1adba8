/// The kind of model a config trains.
public enum TrainingTask: String, Sendable, Codable, CaseIterable {
    /// One label per scan.
    case classification
    /// One label per pixel.
    case segmentation
    /// The pose of an upright scan (orientation canonicalizer).
    case orientation
}

/// The symmetry group a model is built for.
public enum GroupName: String, Sendable, Codable, CaseIterable {
    /// The four 90-degree rotations.
    case c4 = "C4"
    /// The rotations and their mirror images.
    case d4 = "D4"

    /// Number of elements.
    public var order: Int { self == .c4 ? 4 : 8 }
}

/// A segmentation class: its name and the pixel values of the label maps that mean it.
public struct LabelClass: Sendable, Equatable, Codable {
    public var name: String
    public var values: [Int]

    public init(name: String, values: [Int]) {
        self.name = name
        self.values = values
    }
}


/// Network architecture.
public struct ModelSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Group-equivariant classifier (lifting conv, group convs, group pooling, linear head).
        case p4cnn
        /// Group-equivariant U-Net segmenter.
        case unet
        /// Discrete orientation canonicalizer (scores every group element).
        case canonicalizer
    }

    public var kind: Kind
    public var group: GroupName
    /// Fields (regular representations) in the first block; doubled at each level of a U-Net.
    public var width: Int
    /// Group-conv blocks (P4CNN) or down/up levels (U-Net).
    public var depth: Int
    /// Spatial kernel size of the convolutions.
    public var kernelSize: Int
    /// Dropout probability before the classifier head.
    public var dropout: Double
    /// A canonicalizer trained in front of the classifier or U-Net; nil = none.
    public var canonicalizer: CanonicalizerSpec? = nil
    /// Canonicalizer only: output fields of each scorer layer, the lifting convolution first
    /// (at least two layers); nil = `width` for each of the `depth + 1` layers.
    public var fields: [Int]? = nil
    /// Canonicalizer only: the centre-crop views it scores (`ScorerPreprocessing.views`, each
    /// the fraction of the input's side kept); nil = one view, the whole input.
    public var views: [Double]? = nil
    /// Canonicalizer only: intensity exponents under which every view is scored again
    /// (`ScorerPreprocessing.viewGammas`); nil = the plain input only.
    public var viewGammas: [Double]? = nil

    public init(kind: Kind, group: GroupName, width: Int, depth: Int, kernelSize: Int,
                dropout: Double, canonicalizer: CanonicalizerSpec? = nil, fields: [Int]? = nil,
                views: [Double]? = nil, viewGammas: [Double]? = nil) {
        self.kind = kind
        self.group = group
        self.width = width
        self.depth = depth
        self.kernelSize = kernelSize
        self.dropout = dropout
        self.canonicalizer = canonicalizer
        self.fields = fields
        self.views = views
        self.viewGammas = viewGammas
    }
}

/// The canonicalizer of a canonicalizer + predictor model: the predictor sees pose⁻¹ · x, and
/// a segmenter's output is moved back by the pose.
public struct CanonicalizerSpec: Sendable, Equatable, Codable {
    /// Pose group of the canonicalizer.
    public var group: GroupName
    /// Fields of the scorer's layers (lifting conv first, the last one scores); a 2×2 average
    /// pool follows every layer but the last.
    public var fields: [Int]
    /// Side of the square the scorer sees (the model input is resized to it).
    public var inputSize: Int
    /// Weight of the prior loss (scores against the identity pose).
    public var priorWeight: Double
    /// Inverse temperature of the softmax in the straight-through backward pass.
    public var beta: Double

    public init(group: GroupName, fields: [Int], inputSize: Int, priorWeight: Double,
                beta: Double) {
        self.group = group
        self.fields = fields
        self.inputSize = inputSize
        self.priorWeight = priorWeight
        self.beta = beta
    }
}

/// Random changes applied to training cases only; each is switchable and seeded.
public struct AugmentationSpec: Sendable, Equatable, Codable {
    /// Apply a uniformly drawn element of the model's group (rotations, and mirrors for D4).
    public var groupElements: Bool
    /// Mirror left-right and top-bottom with probability 1/2 each.
    public var flips: Bool
    /// Random crop of this size (width, height) from the resized scan; validation uses the
    /// whole scan. Nil = no crop.
    public var crop: [Int]?
    /// Intensity jitter: scale by 1 ± contrast and shift by ± brightness (after normalisation),
    /// both drawn uniformly. Zero = off.
    public var brightness: Double
    public var contrast: Double
    /// Gamma jitter g: samples, clamped to [0, 1], are raised to a power drawn log-uniformly
    /// from [1/(1 + g), 1 + g] (for inputs normalised to [0, 1]). Zero = off.
    public var gamma: Double = 0
    /// Probability of inverting the intensities (v → 1 − v) so that the shape, not one
    /// contrast, carries the content. Zero = off.
    public var invert: Double = 0
    /// Standard deviation of Gaussian noise added to every sample (after normalisation).
    /// Zero = off.
    public var noise: Double = 0
    /// Smooth random warp of image and labels together (after the crop). Nil = off.
    public var elastic: ElasticSpec?
    /// Random zoom `[min, max]` about the image centre, before the crop: the factor is drawn
    /// log-uniformly from the range (above 1 magnifies, below 1 shrinks with the edges
    /// repeated), image resampled bilinearly and labels by nearest neighbour. Nil = off.
    public var zoom: [Double]?

    public static let none = AugmentationSpec(groupElements: false, flips: false, crop: nil,
                                              brightness: 0, contrast: 0)

    public init(groupElements: Bool, flips: Bool, crop: [Int]?, brightness: Double,
                contrast: Double, gamma: Double = 0, invert: Double = 0, noise: Double = 0,
                elastic: ElasticSpec? = nil, zoom: [Double]? = nil) {
        self.groupElements = groupElements
        self.flips = flips
        self.crop = crop
        self.brightness = brightness
        self.contrast = contrast
        self.gamma = gamma
        self.invert = invert
        self.noise = noise
        self.elastic = elastic
        self.zoom = zoom
    }
}

/// Elastic deformation: displacements drawn from N(0, displacement²) pixels at a
/// `points × points` grid of control points spanning the (cropped) image, interpolated
/// bilinearly to every pixel; the image is resampled bilinearly, labels by nearest neighbour.
public struct ElasticSpec: Sendable, Equatable, Codable {
    /// Standard deviation of a control point's displacement, in pixels of the model input.
    public var displacement: Double
    /// Control points per side (at least 2: the corners).
    public var points: Int

    public init(displacement: Double, points: Int) {
        precondition(displacement >= 0 && points >= 2,
                     "elastic deformation needs displacement ≥ 0 and at least 2 points a side")
        self.displacement = displacement
        self.points = points
    }
}

extension AugmentationSpec {
    enum CodingKeys: String, CodingKey {
        case groupElements, flips, crop, brightness, contrast, gamma, invert, noise, elastic
        case zoom
    }

    /// Decodes metadata of packages written before `gamma`, `invert`, `noise`, `elastic` and
    /// `zoom` existed (all off).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(groupElements: try c.decode(Bool.self, forKey: .groupElements),
                  flips: try c.decode(Bool.self, forKey: .flips),
                  crop: try c.decodeIfPresent([Int].self, forKey: .crop),
                  brightness: try c.decode(Double.self, forKey: .brightness),
                  contrast: try c.decode(Double.self, forKey: .contrast),
                  gamma: try c.decodeIfPresent(Double.self, forKey: .gamma) ?? 0,
                  invert: try c.decodeIfPresent(Double.self, forKey: .invert) ?? 0,
                  noise: try c.decodeIfPresent(Double.self, forKey: .noise) ?? 0,
                  elastic: try c.decodeIfPresent(ElasticSpec.self, forKey: .elastic),
                  zoom: try c.decodeIfPresent([Double].self, forKey: .zoom))
    }

    /// Leaves out `gamma`, `invert`, `noise`, `elastic` and `zoom` when off, so the metadata
    /// of packages that do not use them stays as it was.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(groupElements, forKey: .groupElements)
        try c.encode(flips, forKey: .flips)
        try c.encodeIfPresent(crop, forKey: .crop)
        try c.encode(brightness, forKey: .brightness)
        try c.encode(contrast, forKey: .contrast)
        for (key, value) in [(CodingKeys.gamma, gamma), (.invert, invert), (.noise, noise)]
            where value != 0 {
            try c.encode(value, forKey: key)
        }
        try c.encodeIfPresent(elastic, forKey: .elastic)
        try c.encodeIfPresent(zoom, forKey: .zoom)
    }
}


