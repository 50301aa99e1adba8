/// The `report` member of a pipeline file: how reports are made, and whether cases get the
/// rotation-consistency check. Every key is optional; pipelines/README.md documents them.
public struct ReportSettings: Sendable, Equatable {
    /// Run each model stage under every element of its model's group and record the
    /// agreement (`CaseRecord.orbit`). Costs |G| − 1 extra predictions per model stage.
    public var orbitCheck: Bool
    /// A segmenter's orbit is consistent when every element's back-turned mask has at least
    /// this Dice with the untransformed one.
    public var orbitMinDice: Double
    /// The longest side, in pixels, of the scan pictures and mask layers embedded in
    /// `report.html`; smaller scans are embedded at their own size.
    public var thumbnailSize: Int

    /// Sizes `thumbnailSize` may take: large enough to see a cell, small enough that a
    /// report of 10,000 cases stays a file a browser opens.
    public static let thumbnailSizes = 16...512

    /// What a pipeline without `report`, or without one of its keys, gets: no orbit check,
    /// Dice 0.95 (a few boundary pixels may move under the turns of a sliding window),
    /// 96-pixel pictures (a scan about 5–10 KB as PNG, a mask layer about 2 KB).
    public static let defaults = ReportSettings(orbitCheck: false, orbitMinDice: 0.95,
                                                thumbnailSize: 96)

    public init(orbitCheck: Bool, orbitMinDice: Double, thumbnailSize: Int) {
        self.orbitCheck = orbitCheck
        self.orbitMinDice = orbitMinDice
        self.thumbnailSize = thumbnailSize
    }
}
