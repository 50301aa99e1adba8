import Equivariance

/// Per-image intensity mapping applied to the scorer input (never to the canonical image).
///
/// Every mapping is a function of the image's own sample values only, so it commutes with any
/// permutation of pixels: the scores stay exactly equivariant under C4 and D4.
public enum IntensityNormalization: Codable, Equatable, Sendable {
    /// Samples as they are.
    case none
    /// Linear map of [min, max] onto [0, 1].
    case minMax
    /// Zero mean and unit standard deviation over the image.
    case zScore
    /// Clip to the given lower and upper percentiles (0...100), then map onto [0, 1]: robust to
    /// a few hot pixels and to the dynamic range of 12- and 16-bit scans.
    case percentile(lower: Double, upper: Double)
}

/// What the scorer sees: a centre crop, a resize to a fixed square, and an intensity mapping.
///
/// Applied to the scorer input only, so large scans stay cheap to score while the canonical
/// image keeps the scan's full resolution. Cropping and resizing are symmetric about the image
/// centre and commute with quarter turns and mirrors (up to float rounding of the resize).
public struct ScorerPreprocessing: Codable, Equatable, Sendable {
    /// Fraction of the height and width kept around the centre, in (0, 1]; 1 keeps everything.
    /// Less than 1 drops borders (rulers, labels burnt into the corners).
    public var cropRatio: Double
    /// Side of the square the crop is resized to (antialiased bilinear). It must be divisible
    /// by 2^(pooling steps of the network) so that pooling windows tile the map exactly.
    public var size: Int
    /// Intensity mapping, per image.
    public var normalization: IntensityNormalization
    /// Views the scorer scores, each a centre crop of the size × size input (the fraction of
    /// its side kept, in (0, 1]) resized back to size × size; the pose scores are the mean
    /// over views of each view's log-probabilities (a normalised geometric mean of their
    /// probabilities). Every view is symmetric about the centre, so the combined scores stay
    /// exactly equivariant under C4 and D4. nil: one view, the input itself.
    public var views: [Double]?
    /// Intensity exponents under which every view is scored again: the normalised input,
    /// clamped to [0, 1], raised to each power (below 1 brightens dark tissue). The scores
    /// are then the mean over all views, plain and raised, of their log-probabilities; a
    /// power acts on each pixel alone, so equivariance is kept. nil: the plain input only.
    public var viewGammas: [Double]?

    /// Defaults: whole image, 96 × 96, percentiles 1–99.5 (scans of every bit depth land in
    /// [0, 1]), one view.
    public init(cropRatio: Double = 1, size: Int = 96,
                normalization: IntensityNormalization = .percentile(lower: 1, upper: 99.5),
                views: [Double]? = nil, viewGammas: [Double]? = nil) {
        self.cropRatio = cropRatio
        self.size = size
        self.normalization = normalization
        self.views = views
        self.viewGammas = viewGammas
    }
}

/// The pose-scoring network: a lifting convolution and group convolutions, each but the last
/// followed by group batch norm, ReLU and (for the first `poolingSteps`) 2 × 2 average pooling;
/// the last layer's map is averaged over fields and space, leaving one score per group element.
public struct ScoringNetworkConfiguration: Codable, Equatable, Sendable {
    /// Image channels of the scorer input (1 for gray scans).
    public var inputChannels: Int
    /// Output fields of each layer: the first is the lifting convolution, the rest group
    /// convolutions; at least two layers.
    public var fields: [Int]
    /// Filter extent of the lifting convolution (odd).
    public var liftingKernelSize: Int
    /// Filter extent of the group convolutions (odd).
    public var kernelSize: Int
    /// How many of the hidden layers are followed by 2 × 2 average pooling.
    public var poolingSteps: Int
    /// Seed of the initial weights.
    public var seed: UInt64

    /// Defaults sized for a 96 × 96 scorer input: 8, 8, 16 and 8 fields, pooling three times
    /// (96 → 12), about 0.15 GMAC per pose-scoring pass under D4.
    public init(inputChannels: Int = 1, fields: [Int] = [8, 8, 16, 8],
                liftingKernelSize: Int = 5, kernelSize: Int = 3, poolingSteps: Int = 3,
                seed: UInt64 = 0) {
        self.inputChannels = inputChannels
        self.fields = fields
        self.liftingKernelSize = liftingKernelSize
        self.kernelSize = kernelSize
        self.poolingSteps = poolingSteps
        self.seed = seed
    }
}

/// Everything needed to rebuild a `DiscreteCanonicalizer`: group, scorer preprocessing and
/// network. Stored as JSON in the weight file's metadata.
public struct CanonicalizerConfiguration: Codable, Equatable, Sendable {
    /// The pose group: C4 or D4 (exact on the grid), C8 or D8 (interpolated).
    public var group: Group
    /// What the scorer sees.
    public var preprocessing: ScorerPreprocessing
    /// The scoring network.
    public var network: ScoringNetworkConfiguration

    /// A configuration; defaults are D4, 96 × 96 scorer input and the default network.
    public init(group: Group = .d4, preprocessing: ScorerPreprocessing = .init(),
                network: ScoringNetworkConfiguration = .init()) {
        self.group = group
        self.preprocessing = preprocessing
        self.network = network
    }

    /// Throws when a value cannot work, quoting it and saying what was expected.
    public func validate() throws {
        guard group.rotationCount == 4 || group.rotationCount == 8 else {
            throw CanonicalizationError("group \(group) is not supported; expected C4, D4, C8 "
                                        + "or D8")
        }
        let p = preprocessing
        guard p.cropRatio > 0 && p.cropRatio <= 1 else {
            throw CanonicalizationError("preprocessing.cropRatio \(p.cropRatio) must be in (0, 1]")
        }
        if let views = p.views {
            guard !views.isEmpty, views.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
                throw CanonicalizationError("preprocessing.views \(views) must list at least one "
                                            + "crop ratio in (0, 1]")
            }
            guard Set(views).count == views.count else {
                throw CanonicalizationError("preprocessing.views \(views) lists a crop ratio "
                                            + "twice")
            }
            guard group.isExactOnPixelGrid else {
                throw CanonicalizationError("preprocessing.views need a group that is exact on "
                                            + "the pixel grid (C4 or D4), not \(group): the "
                                            + "disc mask of \(group) does not survive a crop")
            }
        }
        if let gammas = p.viewGammas {
            guard !gammas.isEmpty, gammas.allSatisfy({ $0 > 0 && $0 <= 4 && $0 != 1 }) else {
                throw CanonicalizationError("preprocessing.viewGammas \(gammas) must list at "
                                            + "least one exponent in (0, 4] other than 1")
            }
            guard Set(gammas).count == gammas.count else {
                throw CanonicalizationError("preprocessing.viewGammas \(gammas) lists an "
                                            + "exponent twice")
            }
            switch p.normalization {
            case .minMax, .percentile: break
            case .none, .zScore:
                throw CanonicalizationError("preprocessing.viewGammas need a normalization "
                                            + "onto [0, 1] (minMax or percentile), not "
                                            + "\(p.normalization)")
            }
        }
        if case let .percentile(lower, upper) = p.normalization {
            guard lower >= 0 && upper <= 100 && lower < upper else {
                throw CanonicalizationError("preprocessing.normalization percentiles \(lower), "
                                            + "\(upper) must satisfy 0 ≤ lower < upper ≤ 100")
            }
        }
        let n = network
        guard n.inputChannels >= 1 else {
            throw CanonicalizationError("network.inputChannels \(n.inputChannels) must be ≥ 1")
        }
        guard n.fields.count >= 2, n.fields.allSatisfy({ $0 >= 1 }) else {
            throw CanonicalizationError("network.fields \(n.fields) must list at least two "
                                        + "layers of ≥ 1 field")
        }
        for (name, k) in [("liftingKernelSize", n.liftingKernelSize),
                          ("kernelSize", n.kernelSize)] where k < 1 || k % 2 == 0 {
            throw CanonicalizationError("network.\(name) \(k) must be odd and ≥ 1")
        }
        guard n.poolingSteps >= 0 && n.poolingSteps <= n.fields.count - 1 else {
            throw CanonicalizationError("network.poolingSteps \(n.poolingSteps) must be in "
                                        + "0...\(n.fields.count - 1) (one per hidden layer)")
        }
        let tile = 1 << n.poolingSteps
        guard p.size >= tile && p.size % tile == 0 else {
            throw CanonicalizationError("preprocessing.size \(p.size) must be a positive "
                                        + "multiple of \(tile) (2^poolingSteps) so that pooling "
                                        + "windows tile the map")
        }
    }
}
