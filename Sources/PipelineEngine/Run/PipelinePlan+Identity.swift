import ImageCodecs
import Reports
import StrictJSON

extension PipelinePlan {
    /// SHA-256 of what decides a case's results: the `stages`, `inputs` and `outputs` members
    /// and, when the orbit check is on, its settings as `orbit` (key-sorted, so formatting,
    /// key order, `name`, `description` and the other `report` keys do not count). With the
    /// model hashes and the input's digest it keys resumed work: turning the orbit check on
    /// redoes the cases, so that every record has its `orbit`.
    public var contentHash: String {
        guard case .object(let members) = document else { return ContentHash.hex([]) }
        var decisive = members.filter { ["stages", "inputs", "outputs"].contains($0.key) }
        if let orbit = spec.orbitIdentity { decisive.append(("orbit", orbit)) }
        return ContentHash.hex(Array(JSONValue.object(decisive).sortedPrettyText.utf8))
    }

    /// The models the plan uses, one per model stage, for `run.json`.
    public var modelRecords: [RunManifest.Model] {
        stages.compactMap { stage in
            if let continuous = stage.continuousModel {
                let metadata = continuous.metadata
                return RunManifest.Model(stage: CaseProcessor.label(stage.spec),
                                         name: metadata.name, version: metadata.version,
                                         folder: continuous.folder,
                                         sha256: metadata.weights.sha256, outputs: [])
            }
            guard let model = stage.model else { return nil }
            let metadata = model.metadata
            var digest = metadata.weights.sha256
            if let canonicalizer = metadata.canonicalizer { digest += "+" + canonicalizer.sha256 }
            return RunManifest.Model(stage: CaseProcessor.label(stage.spec), name: metadata.name,
                                     version: metadata.version, folder: model.folder,
                                     sha256: digest,
                                     outputs: metadata.classes ?? metadata.labels?.map(\.name)
                                        ?? [])
        }
    }

    /// The model hashes as one key: each stage's model digest, in stage order.
    public var modelKey: String {
        modelRecords.map { "\($0.stage)=\($0.sha256)" }.joined(separator: ";")
    }
}
