import PixelGrid
import XCTest
import _TestSupport

/// `GridTurn`, the one implementation of grid turns and flips, against numpy's `rot90` and
/// `fliplr` (`NumpyGrid`) for all eight poses, several plane shapes, interleaved channel
/// counts and stacks of planes.
final class GridTurnTests: XCTestCase {
    let shapes = [(1, 1), (1, 5), (4, 1), (3, 3), (2, 3), (5, 4)]

    func testEveryPoseFollowsNumpyForEveryShapeAndChannelCount() {
        for (height, width) in shapes {
            for channels in [1, 2, 3, 4] {
                for planes in [1, 2] {
                    let samples = (0..<(planes * height * width * channels)).map { $0 * 3 + 1 }
                    for turns in 0..<4 {
                        for mirrored in [false, true] {
                            let turn = GridTurn(quarterTurns: turns, mirrored: mirrored,
                                                height: height, width: width)
                            let expected = NumpyGrid.act(samples, height: height, width: width,
                                                         channels: channels,
                                                         quarterTurns: turns, mirrored: mirrored)
                            let label = "R^\(turns)\(mirrored ? " F" : "") on \(planes)×"
                                + "\(height)×\(width)×\(channels)"
                            XCTAssertEqual(turn.apply(samples, channels: channels),
                                           expected.samples, label)
                            XCTAssertEqual([turn.height, turn.width],
                                           [expected.height, expected.width], label)
                            XCTAssertEqual(turn.swapsAxes, turns % 2 == 1, label)
                        }
                    }
                }
            }
        }
    }

    /// `sourceIndex` is the gather that `apply` performs, pixel for pixel.
    func testSourceIndexIsTheGatherOfApply() {
        let (height, width) = (3, 5)
        let samples = Array(0..<(height * width))
        for turns in -5...5 {
            for mirrored in [false, true] {
                let turn = GridTurn(quarterTurns: turns, mirrored: mirrored, height: height,
                                    width: width)
                let gathered = (0..<samples.count).map { samples[turn.sourceIndex($0)] }
                XCTAssertEqual(gathered, turn.apply(samples), "R^\(turns) mirrored \(mirrored)")
            }
        }
    }

    /// Negative and large turn counts reduce modulo four; numpy's `rot90(a, -1)` is three
    /// counter-clockwise turns.
    func testTurnCountsReduceModuloFour() {
        let samples: [Float] = [1, 2, 3, 4, 5, 6]
        for turns in -8...8 {
            XCTAssertEqual(GridTurn(quarterTurns: turns, height: 2, width: 3).apply(samples),
                           NumpyGrid.rot90(samples, height: 2, width: 3, times: turns).samples,
                           "k = \(turns)")
        }
        XCTAssertTrue(GridTurn(quarterTurns: 4, height: 2, width: 3).isIdentity)
        // By hand: rot90([[1,2,3],[4,5,6]]) == [[3,6],[2,5],[1,4]].
        XCTAssertEqual(GridTurn(quarterTurns: 1, height: 2, width: 3).apply(samples),
                       [3, 6, 2, 5, 1, 4])
    }
}
