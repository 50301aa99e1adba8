import ImageCodecs
import ModelRuntime

extension StageTransforms {
    /// Pixels per label: entry l counts the pixels of `mask` labelled l, for l in 0..<labels.
    ///
    /// - Precondition: every label of `mask` lies in 0..<labels.
    public static func labelCounts(_ mask: LabelMap, labels: Int) -> [Int] {
        precondition(labels >= 1, "label counts need at least one label, got \(labels)")
        var counts = [Int](repeating: 0, count: labels)
        for (index, label) in mask.values.enumerated() {
            precondition(label >= 0 && Int(label) < labels,
                         "label \(label) at (\(index % mask.width), \(index / mask.width)) is "
                         + "outside 0..<\(labels)")
            counts[Int(label)] += 1
        }
        return counts
    }

    /// Areas in mm² from pixel counts: count · x · y of the pixel size in millimetres.
    public static func areasMM2(_ counts: [Int], pixelSize: PixelSize) -> [Double] {
        counts.map { Double($0) * pixelSize.x * pixelSize.y }
    }
}
