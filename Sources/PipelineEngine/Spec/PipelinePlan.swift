import ModelRuntime
import StrictJSON

/// A pipeline after validation: every reference resolved to a stage index and every model
/// package loaded and its weights' SHA-256 checked. What a run executes.
public struct PipelinePlan: Sendable {
    public var spec: PipelineSpec
    public var stages: [PlannedStage]
    /// The pipeline document as parsed (written into `run.json`).
    public var document: JSONValue = .null
}

/// One stage of a validated plan.
public struct PlannedStage: Sendable {
    public var spec: StageSpec
    /// The index of the stage whose output this one takes; nil for the first stage, which
    /// reads the scan.
    public var inputIndex: Int?
    /// The verified model package of a model stage.
    public var model: PlannedModel?
    /// The verified continuous (EGNN) package of a `CanonicalizeOrientation` stage with
    /// `"method": "egnn"` (then `model` is nil).
    public var continuousModel: PlannedContinuousModel? = nil
    /// What the stage gives, as far as the file and its packages fix it before a scan is
    /// read; nil where that is unknown.
    public var output: InferredOutput?
}

/// A continuous orientation package a plan uses, verified when the plan was validated.
public struct PlannedContinuousModel: Sendable {
    /// The package folder, resolved against the pipeline file's folder.
    public var folder: String
    public var metadata: EGNNPackageMetadata
}

/// A model package a plan uses, verified when the plan was validated.
public struct PlannedModel: Sendable {
    /// The package folder, resolved against the pipeline file's folder.
    public var folder: String
    public var metadata: ModelMetadata
}
