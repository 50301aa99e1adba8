/// PipelineEngine runs declarative pipeline files over folders of scans: the runner, watch mode
/// and the ledger live here. Model packages are in ModelRuntime, training in Training.
public enum PipelineEngine {}
