import ModelRuntime

/// Small planes and masks written out row by row, for the stage transform tests.
enum TransformGrids {
    /// Planes from one `[[Float]]` of rows per channel, all of one size.
    static func planes(_ channels: [[Float]]...) -> ImagePlanes {
        let height = channels[0].count
        let width = channels[0].first?.count ?? 0
        precondition(channels.allSatisfy { rows in
                         rows.count == height && rows.allSatisfy { $0.count == width } },
                     "every channel needs \(height) rows of \(width)")
        return ImagePlanes(channels: channels.count, width: width, height: height,
                           values: channels.flatMap { $0.flatMap { $0 } })
    }

    /// A mask from its rows.
    static func mask(_ rows: [[Int32]]) -> LabelMap {
        LabelMap(width: rows.first?.count ?? 0, height: rows.count, values: rows.flatMap { $0 })
    }

    /// The rows of one channel of `planes`.
    static func rows(_ planes: ImagePlanes, channel: Int = 0) -> [[Float]] {
        (0..<planes.height).map { y in
            let start = (channel * planes.height + y) * planes.width
            return Array(planes.values[start..<(start + planes.width)])
        }
    }

    /// The rows of `mask`.
    static func rows(_ mask: LabelMap) -> [[Int32]] {
        (0..<mask.height).map { y in
            Array(mask.values[(y * mask.width)..<((y + 1) * mask.width)])
        }
    }
}
