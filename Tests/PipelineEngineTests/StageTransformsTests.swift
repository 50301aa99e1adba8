import ImageCodecs
import ModelRuntime
import PipelineEngine
import TensorCore
import XCTest
import _TestSupport

/// Intensity, spatial and orientation transforms against hand-computed small arrays and MONAI's
/// own examples.
final class StageTransformsTests: XCTestCase {
    typealias T = StageTransforms
    typealias G = TransformGrids

    // MARK: - ScaleIntensityRange

    /// MONAI's test case (a_min 20, a_max 108, b_min 50, b_max 80): x ↦ (x − 20) / 88 · 30 + 50.
    func testScaleIntensityRangeMapsLinearly() {
        let image = G.planes([[20, 64, 108, 152]], [[-24, 20, 42, 86]])
        let scaled = T.scaleIntensityRange(image, aMin: 20, aMax: 108, bMin: 50, bMax: 80,
                                           clip: false)
        XCTAssertEqual(G.rows(scaled, channel: 0), [[50, 65, 80, 95]])
        XCTAssertEqual(G.rows(scaled, channel: 1), [[35, 50, 57.5, 72.5]])
    }

    func testScaleIntensityRangeClipsToTheOutputRange() {
        let image = G.planes([[-1000, 0, 500, 2000]])
        let scaled = T.scaleIntensityRange(image, aMin: -1000, aMax: 1000, bMin: 0, bMax: 1,
                                           clip: true)
        XCTAssertEqual(scaled.values, [0, 0.5, 0.75, 1])
        let unclipped = T.scaleIntensityRange(image, aMin: -1000, aMax: 1000, bMin: 0, bMax: 1,
                                              clip: false)
        XCTAssertEqual(unclipped.values, [0, 0.5, 0.75, 1.5])
    }

    /// An inverted output range maps backwards; MONAI's clip with b_min > b_max gives b_max.
    func testScaleIntensityRangeInvertedOutputRange() {
        let image = G.planes([[0, 5, 10, 20]])
        let inverted = T.scaleIntensityRange(image, aMin: 0, aMax: 10, bMin: 1, bMax: 0,
                                             clip: false)
        XCTAssertEqual(inverted.values, [1, 0.5, 0, -1])
        let clipped = T.scaleIntensityRange(image, aMin: 0, aMax: 10, bMin: 1, bMax: 0,
                                            clip: true)
        XCTAssertEqual(clipped.values, [0, 0, 0, 0])
    }

    // MARK: - NormalizeIntensity

    /// z-score over both channels together, population standard deviation, against a direct
    /// Double computation.
    func testZScoreOverAllChannels() {
        let image = G.planes([[1, 2], [3, 4]], [[10, -2], [0.5, 7]])
        let values = image.values.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
                   / Double(values.count)).squareRoot()
        let expected = values.map { Float(($0 - mean) / std) }
        let report = Discrepancy(actual: T.normalizeIntensity(image, mode: .zscore).values,
                                 expected: expected, absolute: 1e-6, relative: 1e-6)
        XCTAssertLessThanOrEqual(report.worstExcess, 0, "\(report)")
    }

    /// A constant image has std 0: MONAI gives x − mean, which is 0 everywhere.
    func testZScoreOfAConstantImageIsZero() {
        let image = G.planes([[0.1, 0.1, 0.1], [0.1, 0.1, 0.1]])
        XCTAssertEqual(T.normalizeIntensity(image, mode: .zscore).values, [0, 0, 0, 0, 0, 0])
    }

    /// Percentiles interpolated between ranks: of 0, 10, 20, 30, 40 the 25th is 10 and the
    /// 75th 30, so x ↦ clip((x − 10) / 20, 0, 1).
    func testPercentileModeMapsPercentilesOntoUnitInterval() {
        let image = G.planes([[40, 0, 20, 10, 30]], [[25, 15, 5, 35, 45]])
        let normalized = T.normalizeIntensity(G.planes([[40, 0, 20, 10, 30]]), mode: .percentile,
                                              lower: 25, upper: 75)
        XCTAssertEqual(normalized.values, [1, 0, 0.5, 0, 1])
        // Over both channels together: of 0, 5, …, 45 the 25th percentile lies at rank 2.25
        // (11.25), the 75th at rank 6.75 (33.75).
        let both = T.normalizeIntensity(image, mode: .percentile, lower: 25, upper: 75)
        let expected = [25.0, 15, 5, 35, 45].map { Float(min(max(($0 - 11.25) / 22.5, 0), 1)) }
        let report = Discrepancy(actual: Array(both.values[5...]), expected: expected,
                                 absolute: 1e-7, relative: 0)
        XCTAssertLessThanOrEqual(report.worstExcess, 0, "\(report)")
    }

    /// Of 0, 10, 20, 30 the 50th percentile lies between ranks (15); the 100th is 30.
    func testPercentileModeInterpolates() {
        let image = G.planes([[0, 10, 20, 30]])
        let normalized = T.normalizeIntensity(image, mode: .percentile, lower: 50, upper: 100)
        let expected: [Float] = [0, 0, Float(5.0 / 15), 1]
        let report = Discrepancy(actual: normalized.values, expected: expected, absolute: 1e-7,
                                 relative: 0)
        XCTAssertLessThanOrEqual(report.worstExcess, 0, "\(report)")
    }

    /// Where both percentiles coincide MONAI returns x − a_min, unclipped.
    func testPercentileModeWithEqualPercentilesShifts() {
        let image = G.planes([[0, 0, 0, 0, 0, 0, 0, 0, 0, 5]])
        let normalized = T.normalizeIntensity(image, mode: .percentile, lower: 10, upper: 80)
        XCTAssertEqual(normalized.values, [0, 0, 0, 0, 0, 0, 0, 0, 0, 5])
    }

    // MARK: - CenterSpatialCrop

    /// v = 10 · row + column on a 5-wide, 4-high image.
    static let fiveByFour = G.planes((0..<4).map { y in (0..<5).map { Float(10 * y + $0) } })

    /// Odd differences: width 5 → 2 starts at 5/2 − 2/2 = 1; height 4 → 3 starts at
    /// 4/2 − 3/2 = 1 (MONAI's centre minus half the roi, not (4 − 3)/2 = 0).
    func testCenterCropOddDifferences() {
        let cropped = T.centerSpatialCrop(Self.fiveByFour, width: 2, height: 3)
        XCTAssertEqual(G.rows(cropped), [[11, 12], [21, 22], [31, 32]])
    }

    /// Even differences: width 5 → 3 starts at 1, height 4 → 2 starts at 1.
    func testCenterCropEvenDifferences() {
        let cropped = T.centerSpatialCrop(Self.fiveByFour, width: 3, height: 2)
        XCTAssertEqual(G.rows(cropped), [[11, 12, 13], [21, 22, 23]])
    }

    /// Width 4 → 1 keeps column 2 (4/2 − 0), height 4 → 4 keeps all.
    func testCenterCropEvenExtentOddRoi() {
        let image = G.planes([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]])
        XCTAssertEqual(G.rows(T.centerSpatialCrop(image, width: 1, height: 4)),
                       [[2], [6], [10], [14]])
    }

    /// An axis smaller than the roi is kept whole.
    func testCenterCropKeepsAnAxisSmallerThanTheRoi() {
        let cropped = T.centerSpatialCrop(Self.fiveByFour, width: 9, height: 2)
        XCTAssertEqual(G.rows(cropped), [[10, 11, 12, 13, 14], [20, 21, 22, 23, 24]])
    }

    /// MONAI's `test_center_spatial_crop` example: roi [2, 2] of a 5 × 5 bump.
    func testCenterCropMONAIExample() {
        let image = G.planes([[0, 0, 0, 0, 0], [0, 1, 2, 1, 0], [0, 2, 3, 2, 0],
                              [0, 1, 2, 1, 0], [0, 0, 0, 0, 0]])
        XCTAssertEqual(G.rows(T.centerSpatialCrop(image, width: 2, height: 2)), [[1, 2], [2, 3]])
    }

    func testCenterCropOfEveryChannelAndOfMasks() {
        let image = G.planes([[1, 2, 3], [4, 5, 6]], [[-1, -2, -3], [-4, -5, -6]])
        let cropped = T.centerSpatialCrop(image, width: 1, height: 1)
        XCTAssertEqual(cropped.channels, 2)
        XCTAssertEqual(cropped.values, [5, -5])
        // Width 3 → 2 starts at 3/2 − 2/2 = 0; height 2 → 1 at 2/2 − 1/2 = 1.
        let mask = G.mask([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(G.rows(T.centerSpatialCrop(mask, width: 2, height: 1)), [[4, 5]])
    }

    // MARK: - SpatialPad

    /// Width 3 → 6: 1 zero before, 2 after; height 2 → 5: 1 before, 2 after.
    func testSpatialPadOddDifferences() {
        let padded = T.spatialPad(G.planes([[1, 2, 3], [4, 5, 6]]), width: 6, height: 5)
        XCTAssertEqual(G.rows(padded), [[0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 0, 0],
                                        [0, 4, 5, 6, 0, 0], [0, 0, 0, 0, 0, 0],
                                        [0, 0, 0, 0, 0, 0]])
    }

    /// Width 3 → 5 and height 2 → 4: one zero on each side.
    func testSpatialPadEvenDifferences() {
        let padded = T.spatialPad(G.planes([[1, 2, 3], [4, 5, 6]]), width: 5, height: 4)
        XCTAssertEqual(G.rows(padded), [[0, 0, 0, 0, 0], [0, 1, 2, 3, 0], [0, 4, 5, 6, 0],
                                        [0, 0, 0, 0, 0]])
    }

    /// An axis already at or above the target is kept; masks pad with label 0.
    func testSpatialPadKeepsALargerAxisAndPadsMasks() {
        let image = G.planes([[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]])
        let padded = T.spatialPad(image, width: 2, height: 3)
        XCTAssertEqual(G.rows(padded, channel: 1), [[7, 8, 9], [10, 11, 12], [0, 0, 0]])
        XCTAssertEqual(G.rows(padded, channel: 0), [[1, 2, 3], [4, 5, 6], [0, 0, 0]])
        let mask = T.spatialPad(G.mask([[1, 2], [3, 4]]), width: 4, height: 2)
        XCTAssertEqual(G.rows(mask), [[0, 1, 2, 0], [0, 3, 4, 0]])
    }

    // MARK: - Rotate90 and Flip

    /// a = [[1, 2, 3], [4, 5, 6]] and numpy.rot90(a, k), written out by hand.
    static let twoByThree = G.planes([[1, 2, 3], [4, 5, 6]])
    static let rot90Expected: [[[Float]]] = [
        [[1, 2, 3], [4, 5, 6]],
        [[3, 6], [2, 5], [1, 4]],
        [[6, 5, 4], [3, 2, 1]],
        [[4, 1], [5, 2], [6, 3]],
    ]

    func testRotate90MatchesNumpyRot90() {
        for k in 0...3 {
            let turned = T.rotate90(Self.twoByThree, k: k)
            XCTAssertEqual(G.rows(turned), Self.rot90Expected[k], "k = \(k)")
            XCTAssertEqual(turned.width, k % 2 == 0 ? 3 : 2)
        }
        XCTAssertEqual(G.rows(T.rotate90(Self.twoByThree, k: -1)), Self.rot90Expected[3])
        XCTAssertEqual(G.rows(T.rotate90(Self.twoByThree, k: 5)), Self.rot90Expected[1])
    }

    func testRotate90OfMasksAndEveryChannel() {
        let mask = G.mask([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(G.rows(T.rotate90(mask, k: 1)), [[3, 6], [2, 5], [1, 4]])
        // Against _TestSupport's independent numpy reference on three random planes.
        var generator = SeededGenerator(seed: 7)
        let values = (0..<(3 * 4 * 5)).map { _ in generator.nextFloat() }
        let image = ImagePlanes(channels: 3, width: 5, height: 4, values: values)
        for k in 0...3 {
            let reference = NumpyGrid.rot90(values, height: 4, width: 5, times: k)
            let turned = T.rotate90(image, k: k)
            XCTAssertEqual(turned.values, reference.samples, "k = \(k)")
            XCTAssertEqual([turned.height, turned.width], [reference.height, reference.width])
        }
    }

    func testFlipBothAxes() {
        XCTAssertEqual(G.rows(T.flip(Self.twoByThree, spatialAxis: 0)), [[4, 5, 6], [1, 2, 3]])
        XCTAssertEqual(G.rows(T.flip(Self.twoByThree, spatialAxis: 1)), [[3, 2, 1], [6, 5, 4]])
        let mask = G.mask([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(G.rows(T.flip(mask, spatialAxis: 0)), [[4, 5, 6], [1, 2, 3]])
        XCTAssertEqual(G.rows(T.flip(mask, spatialAxis: 1)), [[3, 2, 1], [6, 5, 4]])
        let two = G.planes([[1, 2], [3, 4]], [[5, 6], [7, 8]])
        XCTAssertEqual(T.flip(two, spatialAxis: 0).values, [3, 4, 1, 2, 7, 8, 5, 6])
    }

    func testPixelSizeUnderTurnsAndResizes() {
        let size = PixelSize(x: 0.5, y: 0.25)
        XCTAssertEqual(T.pixelSize(size, rotatedBy: 1), PixelSize(x: 0.25, y: 0.5))
        XCTAssertEqual(T.pixelSize(size, rotatedBy: 2), size)
        XCTAssertEqual(T.pixelSize(size, rotatedBy: -3), PixelSize(x: 0.25, y: 0.5))
        XCTAssertNil(T.pixelSize(nil, rotatedBy: 1))
        XCTAssertEqual(T.pixelSize(size, resizedFrom: (width: 100, height: 50),
                                   to: (width: 200, height: 25)),
                       PixelSize(x: 0.25, y: 0.5))
    }
}
