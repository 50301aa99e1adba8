/// What `equiscan train` is asked to do: a typed, validated form of the training JSON.
///
/// Built only by `TrainingConfig.parse(_:)`, which checks every value and rejects unknown keys
/// before any data is read; see docs/training.md for the file format.
public struct TrainingConfig: Sendable, Equatable {
    /// Package name (folder and metadata), e.g. `bccd-cells`.
    public var name: String
    /// Package version, free text (e.g. `1.0.0`).
    public var version: String
    public var description: String
    public var task: TrainingTask
    /// Seed of every random choice: initial weights, split, shuffling, augmentation.
    public var seed: UInt64
    public var data: DataSpec
    public var input: InputSpec
    public var model: ModelSpec
    public var augmentation: AugmentationSpec
    public var training: OptimizationSpec
}

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

/// Where the scans are and how their labels are read.
public struct DataSpec: Sendable, Equatable {
    /// Layout of a classification set.
    public enum ClassificationFormat: String, Sendable, CaseIterable {
        /// `root/<class>/<file>`.
        case folders
        /// A CSV with a header naming `path` (or `file`) and `label` columns; paths relative to
        /// the CSV's folder.
        case csv
    }

    /// A segmentation class: its name and the pixel values of the label maps that mean it.
    public struct LabelClass: Sendable, Equatable, Codable {
        public var name: String
        public var values: [Int]
    }

    /// How much of the set is kept decoded in memory.
    public enum CachePolicy: String, Sendable, CaseIterable {
        /// Cache when the preprocessed set is below 256 MiB.
        case auto
        case always
        case never
    }

    /// Training sources (folders, or files for orientation; a CSV file for `csv`), resolved
    /// against the data root.
    public var train: [String]
    /// Validation sources; when empty, `validationFraction` of the training set is held out.
    public var validation: [String]
    public var validationFraction: Double
    public var format: ClassificationFormat
    /// Class names in output order (classification); empty = the sorted folder or CSV names.
    public var classes: [String]
    /// Segmentation classes in output order; index 0 is usually the background.
    public var labels: [LabelClass]
    public var cache: CachePolicy
    /// Times each training case is visited per epoch (each visit draws fresh augmentation);
    /// lets small sets of large scans give many random crops per epoch.
    public var repeats: Int
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

    public static let none = AugmentationSpec(groupElements: false, flips: false, crop: nil,
                                              brightness: 0, contrast: 0)
}

extension AugmentationSpec {
    enum CodingKeys: String, CodingKey {
        case groupElements, flips, crop, brightness, contrast, gamma, invert, noise
    }

    /// Decodes metadata of packages written before `gamma`, `invert` and `noise` existed
    /// (all off).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(groupElements: try c.decode(Bool.self, forKey: .groupElements),
                  flips: try c.decode(Bool.self, forKey: .flips),
                  crop: try c.decodeIfPresent([Int].self, forKey: .crop),
                  brightness: try c.decode(Double.self, forKey: .brightness),
                  contrast: try c.decode(Double.self, forKey: .contrast),
                  gamma: try c.decodeIfPresent(Double.self, forKey: .gamma) ?? 0,
                  invert: try c.decodeIfPresent(Double.self, forKey: .invert) ?? 0,
                  noise: try c.decodeIfPresent(Double.self, forKey: .noise) ?? 0)
    }

    /// Leaves out `gamma`, `invert` and `noise` when off, so the metadata of packages that do
    /// not use them stays as it was.
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
    }
}

/// Optimiser, schedule, batches, epochs, stopping rule and loss.
public struct OptimizationSpec: Sendable, Equatable {
    public enum OptimizerKind: String, Sendable, Codable, CaseIterable { case sgd, adam, adamw }
    public enum ScheduleKind: String, Sendable, Codable, CaseIterable {
        case constant, cosine, step
    }
    public enum LossKind: String, Sendable, Codable, CaseIterable {
        case crossEntropy, dice, crossEntropyDice
    }
    public enum ClassWeights: Sendable, Equatable {
        case none
        /// Inverse class frequency of the training set, normalised to mean 1.
        case balanced
        case explicit([Double])
    }

    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerKind
    public var learningRate: Double
    public var momentum: Double
    public var weightDecay: Double
    public var schedule: ScheduleKind
    /// Linear warm-up epochs before the schedule proper.
    public var warmupEpochs: Int
    /// For `step`: multiply the rate by `gamma` every `stepEpochs`.
    public var stepEpochs: Int
    public var gamma: Double
    /// Floor of the cosine schedule.
    public var minimumLearningRate: Double
    /// Clip the global gradient norm to this value; nil = no clipping.
    public var gradientClipNorm: Double?
    public var loss: LossKind
    public var classWeights: ClassWeights
    /// Validation metric that selects the best epoch and drives early stopping.
    public var monitor: String
    /// Stop after this many epochs without improvement of `monitor`; nil = never.
    public var patience: Int?
    /// Smallest change that counts as an improvement.
    public var minimumDelta: Double
}

extension TrainingTask {
    /// Validation metrics a config may monitor, the first being the default.
    public var monitorableMetrics: [String] {
        switch self {
        case .classification: return ["balancedAccuracy", "accuracy", "macroF1", "loss"]
        case .segmentation: return ["meanDice", "meanIoU", "loss"]
        case .orientation: return ["poseAccuracy", "rotationAccuracy", "loss"]
        }
    }
}
