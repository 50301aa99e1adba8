import ImageCodecs
import ModelRuntime

/// Everything one case accumulates while its stages run.
struct CaseContext {
    let source: CaseSource
    /// The bytes of each file of the case (one, or one per nnU-Net channel), read once:
    /// hashed for the ledger and decoded by `LoadImage`, so the digest recorded is that of the
    /// data analysed even if a file changes meanwhile.
    let bytes: [[UInt8]]
    /// The decoded scan (page and orientation as `LoadImage` asked).
    var scan: Scan?
    /// Each stage's output, by stage index.
    var values: [Int: CaseValue] = [:]
    /// The pose found by the last `CanonicalizeOrientation` stage.
    var pose: CaseRecord.Pose?
    var classification: ClassificationOutcome?
    /// The last mask a stage produced, and the file it was saved to.
    var finalMask: (map: LabelMap, labels: [String], geometry: ValueGeometry)?
    var maskFile: String?
    /// Files written, relative to the output folder, with the SHA-256 of their bytes.
    var outputs: [(path: String, sha256: String)] = []

    init(source: CaseSource, bytes: [[UInt8]]) {
        self.source = source
        self.bytes = bytes
    }
}
