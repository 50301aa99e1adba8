/// One case as the report page's script sees it: the record's figures under short, stable
/// names, without file lists or digests. Encoded as JSON into the page.
struct CaseEntry: Encodable {
    struct Pose: Encodable {
        var rotation: Int
        var mirrored: Bool
        var confidence: Double
        var uncertain: Bool
        var mirrorUncertain: Bool
        var name: String
    }

    /// Index of the case on the page: names its picture blocks (`scan-N`, `overlay-N`).
    var index: Int
    var id: String
    var input: String
    var status: String
    /// `true` when the orbit check found the case inconsistent.
    var flagged: Bool
    var label: String?
    var confidence: Double?
    var probabilities: [String: Double]?
    var pose: Pose?
    var areasPx: [String: Int]?
    var areasMm2: [String: Double]?
    var seconds: Double
    var stageSeconds: [String: Double]
    var error: CaseRecord.Failure?
    var orbit: OrbitCheck?

    init(_ record: CaseRecord, index: Int, settings: ReportSettings) {
        self.index = index
        id = record.case
        input = record.input
        status = record.status.rawValue
        flagged = record.orbit.map { !$0.consistent } ?? false
        label = record.classification?.label
        confidence = record.classification?.confidence
        probabilities = record.classification?.probabilities
        pose = record.pose.map {
            Pose(rotation: $0.rotation, mirrored: $0.mirrored, confidence: $0.confidence,
                 uncertain: $0.uncertain, mirrorUncertain: $0.mirrorUncertain, name: $0.name)
        }
        areasPx = record.segmentation?.areasPx
        areasMm2 = record.segmentation?.areasMm2
        seconds = record.seconds
        stageSeconds = record.stageSeconds
        error = record.error
        orbit = record.orbit
    }
}
