import Canonicalization
import TensorCore
import XCTest

/// Keypoints from planes and label maps against hand-computed values.
final class ScanKeypointTests: XCTestCase {
    func testIntensityKeypointsOfAFourByFourPlane() {
        // Grid 4 on a 4 × 4 plane: one cell per pixel; the disc of radius 2 about the centre
        // drops the 4 corners (distance √4.5), leaving 12 points. Min–max maps 0…15 to 0…1.
        let plane = (0..<16).map(Float.init)
        let points = ScanKeypoints.intensityKeypoints(plane: plane, height: 4, width: 4, grid: 4)
        XCTAssertEqual(points.count, 12)
        XCTAssertEqual(points.featureCount, 1)
        // First point: row 0, column 1 → (x 1, y −0), value 1/15.
        XCTAssertEqual(points.coordinates[0], 1, accuracy: 1e-12)
        XCTAssertEqual(points.coordinates[1], 0, accuracy: 1e-12)
        XCTAssertEqual(points.features[0], 1 / 15, accuracy: 1e-6)
        XCTAssertEqual(points.weights[0], 1.0 / 15, accuracy: 1e-6)
        let pixels = Set(stride(from: 0, to: 24, by: 2).map {
            Int(points.coordinates[$0]) + 4 * Int(-points.coordinates[$0 + 1])
        })
        XCTAssertEqual(pixels, Set(0..<16).subtracting([0, 3, 12, 15]))
    }

    func testIntensityKeypointsOfAWidePlaneUseItsCentredSquare() {
        // 2 × 6 plane: the square is columns 2…3; grid 2 keeps all 4 cells (distance √0.5 < 1).
        var plane = [Float](repeating: 0, count: 12)
        plane[3] = 4  // row 0, column 3
        let points = ScanKeypoints.intensityKeypoints(plane: plane, height: 2, width: 6, grid: 2)
        XCTAssertEqual(points.count, 4)
        XCTAssertEqual(points.coordinates, [2, 0, 3, 0, 2, -1, 3, -1])
        XCTAssertEqual(points.features, [0, 1, 0, 0])
        XCTAssertEqual(points.centroid.x, 3, accuracy: 1e-12)
    }

    func testObjectKeypointsOfALabelMap() {
        // Two objects of label 1 (not 4-connected to each other) and one of label 2 touching
        // the second: 3 objects.
        let labels: [Int32] = [
            1, 1, 0, 0,
            1, 0, 0, 1,
            0, 0, 2, 1,
            0, 0, 2, 0,
        ]
        let intensities: [Float] = (0..<16).map(Float.init)
        let points = ScanKeypoints.objectKeypoints(labels: labels, height: 4, width: 4,
                                                   intensities: intensities)
        XCTAssertEqual(points.count, 3)
        // Object A: pixels 0, 1, 4 → centroid (row 1/3, col 1/3), area 3, mean 5/3.
        // Object B: pixels 7, 11 → (row 1.5, col 3), area 2, mean 9.
        // Object C: pixels 10, 14 → (row 2.5, col 2), area 2, mean 12.
        XCTAssertEqual(points.coordinates[0], 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(points.coordinates[1], -1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(Array(points.coordinates[2...5]), [3, -1.5, 2, -2.5])
        XCTAssertEqual(points.weights, [3, 2, 2])
        let meanArea = 7.0 / 3
        XCTAssertEqual(Double(points.features[0]), (3 / meanArea).squareRoot(), accuracy: 1e-6)
        // Mean intensities 5/3, 9, 12 min–max mapped.
        XCTAssertEqual(points.features[1], 0, accuracy: 1e-6)
        XCTAssertEqual(Double(points.features[3]), (9 - 5.0 / 3) / (12 - 5.0 / 3), accuracy: 1e-6)
        XCTAssertEqual(points.features[5], 1, accuracy: 1e-6)
        let large = ScanKeypoints.objectKeypoints(labels: labels, height: 4, width: 4,
                                                  minimumArea: 3)
        XCTAssertEqual(large.count, 1)
    }
}
