import Canonicalization
import Dispatch
import ImageCodecs
import ModelRuntime
import Reports

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
    /// The pose that stage applied (none when it was uncertain): what
    /// `InvertCanonicalization` undoes.
    var appliedPose: CaseRecord.Pose?
    /// The arbitrary-angle pose a continuous (`"method": "egnn"`) canonicalization applied;
    /// `pose` then holds its nearest quarter turn for the record.
    var continuousPose: ImagePose?
    var classification: ClassificationOutcome?
    /// The last mask a stage produced, and the file it was saved to.
    var finalMask: (map: LabelMap, labels: [String], geometry: ValueGeometry)?
    var maskFile: String?
    /// Files written, relative to the output folder, with the SHA-256 of their bytes.
    var outputs: [(path: String, sha256: String)] = []
    /// The orbit check of each checked model stage so far.
    var orbitStages: [OrbitCheck.Stage] = []
    /// Seconds the orbit checks took (left out of the stages' own seconds).
    var orbitSeconds = 0.0

    /// The case's time limit in seconds, and the uptime (ns) it runs out at.
    let timeLimit: Double?
    let deadline: UInt64?

    init(source: CaseSource, bytes: [[UInt8]], timeLimit: Double? = nil) {
        self.source = source
        self.bytes = bytes
        self.timeLimit = timeLimit
        deadline = timeLimit.map { DispatchTime.now().uptimeNanoseconds + UInt64($0 * 1e9) }
    }

    /// Throws when the case has run past its time limit. Called before every stage and
    /// between sliding-window batches: a case cannot be stopped inside a kernel, so the limit
    /// is exceeded by at most one step, and the worker then goes on with the next case.
    func checkTime() throws {
        if let deadline, let timeLimit, DispatchTime.now().uptimeNanoseconds > deadline {
            throw StageFailure("\(source.path): timed out: the case took longer than its "
                               + "limit of \(Self.seconds(timeLimit)) s and was stopped")
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Records one stage's orbit check, started at `start` (uptime nanoseconds), and its time.
    mutating func recordOrbit(_ stage: OrbitCheck.Stage, startedAt start: UInt64) {
        orbitStages.append(stage)
        orbitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
