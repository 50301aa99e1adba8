import ModelRuntime
import TensorCore
import XCTest
import _TestSupport

/// `ImagePlanes.resizedByAveraging` against a plain loop over output pixels.
final class ImagePlanesResizeTests: XCTestCase {
    /// Output pixel (x, y) is the mean of the source pixels (sx, sy) with
    /// ⌊sx · W' / W⌋ = x and ⌊sy · H' / H⌋ = y.
    func naive(_ planes: ImagePlanes, width: Int, height: Int) -> [Float] {
        var out: [Float] = []
        for c in 0..<planes.channels {
            for y in 0..<height {
                for x in 0..<width {
                    var sum = 0.0
                    var count = 0
                    for sy in 0..<planes.height where sy * height / planes.height == y {
                        for sx in 0..<planes.width where sx * width / planes.width == x {
                            sum += Double(planes.values[(c * planes.height + sy) * planes.width
                                                        + sx])
                            count += 1
                        }
                    }
                    out.append(Float(sum / Double(count)))
                }
            }
        }
        return out
    }

    func testAveragingMatchesAPlainLoop() {
        var generator = SeededGenerator(seed: 17)
        var worst: Float = 0
        for (channels, width, height, newWidth, newHeight) in [(1, 8, 8, 4, 4), (3, 7, 5, 3, 2),
                                                               (1, 10, 3, 10, 1), (3, 9, 9, 9, 9),
                                                               (1, 5, 12, 1, 5)] {
            let planes = ImagePlanes(channels: channels, width: width, height: height,
                                     values: (0..<(channels * width * height)).map { _ in
                                         generator.nextFloat() * 255 })
            let shrunk = planes.resizedByAveraging(width: newWidth, height: newHeight)
            XCTAssertEqual([shrunk.channels, shrunk.width, shrunk.height],
                           [channels, newWidth, newHeight])
            let expected = naive(planes, width: newWidth, height: newHeight)
            worst = max(worst, zip(shrunk.values, expected).map { abs($0 - $1) }.max() ?? 0)
        }
        // Tolerance: sums of at most 25 samples below 256 in Double, rounded to Float once.
        XCTAssertLessThanOrEqual(worst, 1e-4, "worst difference \(worst)")
    }

    func testTwoByTwoBinsByHand() {
        let planes = ImagePlanes(channels: 1, width: 4, height: 2,
                                 values: [0, 2, 4, 8, 2, 4, 6, 10])
        XCTAssertEqual(planes.resizedByAveraging(width: 2, height: 1).values, [2, 7])
    }
}
