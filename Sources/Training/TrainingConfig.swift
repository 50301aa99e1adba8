import ModelRuntime
import SafeFiles
import StrictJSON

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
    /// Seed of every random choice: initial weights, shuffling, augmentation, and the split
    /// unless `data.splitSeed` gives the split its own.
    public var seed: UInt64
    public var data: DataSpec
    public var input: InputSpec
    public var model: ModelSpec
    public var augmentation: AugmentationSpec
    public var training: OptimizationSpec

    /// The seed of the training / validation / test split: `data.splitSeed` when given, else
    /// `seed`.
    public var splitSeed: UInt64 { data.splitSeed ?? seed }
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
    /// Share of the `train` cases held out for validation when `validation` is empty.
    public var validationFraction: Double
    /// Test sources: listed by `train`, never opened. Empty: `testFraction` of the `train`
    /// cases is held out as the test part, or there is no test part when that is nil too.
    public var test: [String] = []
    /// Share of the `train` cases held out for testing when `test` is empty; nil = none.
    public var testFraction: Double? = nil
    /// Regular expression whose first capture group, matched against a scan's file name, is
    /// its source id (e.g. `^(.*)_slice\d+`): cases of one source land in the same part.
    /// Scans it does not match, and all scans when nil, are each their own source, unless the
    /// data names their source (`DataCase.source`).
    public var groupPattern: String? = nil
    /// When set, the source id `groupPattern` captures must be a whole number n (a slice
    /// index, a z position), and the source is ⌊n / groupBlock⌋: runs of `groupBlock`
    /// consecutive numbers form one source, so neighbouring slices never straddle parts.
    public var groupBlock: Int? = nil
    /// Seed of the split into parts; nil = the config's `seed`. Fixing it lets runs with
    /// different seeds train, validate and test on the same cases.
    public var splitSeed: UInt64? = nil
    /// Pixel spacing in mm, `[row, column]`, of scans whose file records no pixel size (as
    /// stored, before the input resize); nil = unknown. Puts HD95 in mm beside pixels.
    public var pixelSpacing: [Double]? = nil
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

/// Optimiser, schedule, batches, epochs, stopping rule and loss.
public struct OptimizationSpec: Sendable, Equatable {
    public enum OptimizerKind: String, Sendable, Codable, CaseIterable { case sgd, adam, adamw }
    public enum ScheduleKind: String, Sendable, Codable, CaseIterable {
        case constant, cosine, step
    }
    public enum LossKind: String, Sendable, Codable, CaseIterable {
        case crossEntropy, dice, crossEntropyDice
        /// Orientation models: cross-entropy of the quarter turn alone, each pose pooled with
        /// its mirror image, so nothing pushes the scorer to tell mirror images apart.
        case rotationCrossEntropy
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
