/// `metadata.json` of a model package: what the model is, what it expects, how it was trained
/// and how well it did on its validation set.
///
/// Written with `Codable` (the Trainer's `AtomicFile.writeJSON`); read with
/// `ModelMetadata.parse(_:file:)`, which validates every field and names the JSON pointer and
/// line and column of the first bad one.
public struct ModelMetadata: Codable, Sendable, Equatable {
    /// Format of this file; bumped when fields change meaning.
    public var formatVersion: Int
    public var name: String
    public var version: String
    public var description: String
    public var task: TrainingTask
    /// "P4CNN", "EquivariantUNet" or "DiscreteCanonicalizer".
    public var architecture: String
    public var group: GroupName
    /// Output classes in order (classification).
    public var classes: [String]?
    /// Segmentation labels in output order with the pixel values they were read from.
    public var labels: [LabelClass]?
    /// Size, channels and normalisation the model expects.
    public var input: InputSpec
    public var trainingData: TrainingDataSummary
    public var training: TrainingSummary
    /// Validation metrics at the selected (best) epoch, by name.
    public var validationMetrics: [String: Double]
    public var weights: WeightsReference
    /// The canonicalizer's weight file of a canonicalizer + predictor model; nil otherwise.
    public var canonicalizer: WeightsReference? = nil
    /// Orientation models: the pose confidence below which the pose is reported as uncertain
    /// and nothing is turned, calibrated on validation cases; nil when never calibrated.
    public var minConfidence: Double? = nil
    /// Orientation models with mirrors: the mirror confidence below which the mirror bit is
    /// reported as uncertain and the scan is turned by its rotation alone; nil when never
    /// calibrated (the mirror is then always acted on).
    public var mirrorMinConfidence: Double? = nil
    /// Orientation models with mirrors: false when no mirror threshold reached the
    /// calibration target on the validation scans (near-symmetric anatomy such as axial brain
    /// slices), so every mirror is reported as uncertain; nil when never calibrated.
    public var mirrorIdentifiable: Bool? = nil
    /// How `minConfidence` and `mirrorMinConfidence` were chosen; nil when never calibrated.
    public var calibration: PoseCalibration? = nil
    /// Seed, code revision, threads, BLAS and oneDNN of the run that trained the package;
    /// nil in packages made before it was recorded.
    public var reproducibility: Reproducibility? = nil
    public var notice: String

    public init(formatVersion: Int, name: String, version: String, description: String,
                task: TrainingTask, architecture: String, group: GroupName, classes: [String]?,
                labels: [LabelClass]?, input: InputSpec, trainingData: TrainingDataSummary,
                training: TrainingSummary, validationMetrics: [String: Double],
                weights: WeightsReference, canonicalizer: WeightsReference? = nil,
                notice: String) {
        self.formatVersion = formatVersion
        self.name = name
        self.version = version
        self.description = description
        self.task = task
        self.architecture = architecture
        self.group = group
        self.classes = classes
        self.labels = labels
        self.input = input
        self.trainingData = trainingData
        self.training = training
        self.validationMetrics = validationMetrics
        self.weights = weights
        self.canonicalizer = canonicalizer
        self.notice = notice
    }

    /// The notice every package carries.
    public static let researchNotice = "research use only — not for clinical use"

    /// What the model was trained on.
    public struct TrainingDataSummary: Codable, Sendable, Equatable {
        /// Sources as written in the config (relative to the data root).
        public var train: [String]
        public var validation: [String]
        /// Held-out share when no validation sources were given.
        public var validationFraction: Double?
        public var trainCases: Int
        public var validationCases: Int
        /// Training cases per class (classification).
        public var trainCasesPerClass: [String: Int]?
        /// Test sources as written in the config; nil in packages made before test parts.
        public var test: [String]? = nil
        /// Held-out test share when no test sources were given.
        public var testFraction: Double? = nil
        /// Cases of the test part (listed in `test-cases.txt`, never opened by training).
        public var testCases: Int? = nil
        /// The config's `groupPattern` (source id from the file name), when it had one.
        public var groupPattern: String? = nil
        /// The config's `groupBlock` (consecutive captured numbers per source), when set.
        public var groupBlock: Int? = nil
        /// The config's `splitSeed` (seed of the split into parts), when set.
        public var splitSeed: UInt64? = nil
        /// The config's `pixelSpacing`: mm per pixel, `[row, column]`, of scans as stored whose
        /// file records none; `equiscan evaluate` assumes it for such scans.
        public var pixelSpacing: [Double]? = nil
        /// Segmentation: mm per pixel, `[row, column]`, on the model's input grid (the scans'
        /// spacing scaled by the input resize), when every training and validation scan had
        /// the same.
        public var inputPixelSpacing: [Double]? = nil

        public init(train: [String], validation: [String], validationFraction: Double?,
                    trainCases: Int, validationCases: Int, trainCasesPerClass: [String: Int]?) {
            self.train = train
            self.validation = validation
            self.validationFraction = validationFraction
            self.trainCases = trainCases
            self.validationCases = validationCases
            self.trainCasesPerClass = trainCasesPerClass
        }
    }

    /// How it was trained.
    public struct TrainingSummary: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var epochsRun: Int
        public var bestEpoch: Int
        public var monitor: String
        public var optimizer: String
        public var learningRate: Double
        public var batchSize: Int
        public var loss: String
        public var augmentation: AugmentationSpec
        public var model: ModelSpec
        public var stoppedEarly: Bool

        public init(seed: UInt64, epochsRun: Int, bestEpoch: Int, monitor: String,
                    optimizer: String, learningRate: Double, batchSize: Int, loss: String,
                    augmentation: AugmentationSpec, model: ModelSpec, stoppedEarly: Bool) {
            self.seed = seed
            self.epochsRun = epochsRun
            self.bestEpoch = bestEpoch
            self.monitor = monitor
            self.optimizer = optimizer
            self.learningRate = learningRate
            self.batchSize = batchSize
            self.loss = loss
            self.augmentation = augmentation
            self.model = model
            self.stoppedEarly = stoppedEarly
        }
    }

    /// The weight file and its SHA-256.
    public struct WeightsReference: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String

        public init(file: String, sha256: String) {
            self.file = file
            self.sha256 = sha256
        }
    }
}
