import Canonicalization
import ModelRuntime

/// The model instances of one worker. Each worker loads its own: modules keep buffers
/// between calls and are not proven safe to share across threads. Loading verifies every
/// weight file's SHA-256 again, so a package changed after validation is refused, not used.
final class WorkerModels {
    private var packages: [String: ModelPackage] = [:]
    private var continuous: [String: EGNNScanCanonicalizer] = [:]

    /// The continuous canonicalizer of a `CanonicalizeOrientation` stage with
    /// `"method": "egnn"`, loaded on first use.
    func continuousCanonicalizer(for stage: PlannedStage) throws -> EGNNScanCanonicalizer {
        guard let model = stage.continuousModel else {
            preconditionFailure("continuous canonicalization stage without a planned model")
        }
        if let loaded = continuous[model.folder] { return loaded }
        let loaded = try EGNNScanCanonicalizer(packageAt: model.folder)
        continuous[model.folder] = loaded
        return loaded
    }

    /// The package of a model stage, loaded on first use.
    func package(for stage: PlannedStage) throws -> ModelPackage {
        guard let model = stage.model else {
            preconditionFailure("\(stage.spec.op.rawValue) stage without a planned model")
        }
        if let package = packages[model.folder] { return package }
        let package = try ModelPackage.load(model.folder)
        packages[model.folder] = package
        return package
    }

    /// The canonicalizer of a `CanonicalizeOrientation` stage's package.
    func canonicalizer(for stage: PlannedStage) throws -> DiscreteCanonicalizer {
        let package = try package(for: stage)
        switch package.model {
        case .canonicalizer(let canonicalizer):
            return canonicalizer
        case .canonicalized(let predictor):
            return predictor.canonicalizer
        case .classifier, .segmenter:
            throw StageFailure("\(package.folder): holds a \(package.metadata.architecture), "
                               + "not a canonicalizer")
        }
    }
}
