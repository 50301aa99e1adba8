import Canonicalization
import Foundation
import TensorCore
import XCTest
import _TestSupport

/// The E(2) and permutation guarantees of the EGNN canonicalizer, with fresh seeded weights
/// (the guarantees hold for any weights). Canonical points are compared within 1e-4 (points of
/// extent ~10; the network runs in Float32, so its vectors turn with relative error ~1e-6), and
/// angles within 1e-4 rad; the worst error is reported.
final class EGNNCanonicalizerTests: XCTestCase {
    private var generator = SeededGenerator(seed: 2021)

    /// Seeded points in [−5, 5]² with two feature channels and positive weights.
    private func randomSet(count: Int) -> PointSet {
        PointSet(coordinates: (0..<(2 * count)).map { _ in 10 * generator.nextDouble() - 5 },
                 features: (0..<(2 * count)).map { _ in generator.nextGaussian() },
                 featureCount: 2,
                 weights: (0..<count).map { _ in 0.5 + generator.nextDouble() })
    }

    private func model(_ group: FrameGroup, graph: PointGraphKind = .nearest(k: 6)) throws
        -> EGNNCanonicalizer {
        try EGNNCanonicalizer(configuration: EGNNConfiguration(
            group: group, featureChannels: 2, hiddenFeatures: 16, messageFeatures: 16,
            vectorChannels: 3, layers: 2, graph: graph, seed: 11))
    }

    /// The largest coordinate difference between two canonical point sets.
    private func worstDifference(_ a: PointSet, _ b: PointSet) -> Double {
        zip(a.coordinates, b.coordinates).map { abs($0 - $1) }.max() ?? 0
    }

    private func checkTurns(_ group: FrameGroup, graph: PointGraphKind, mirror: Bool) throws {
        let canonicalizer = try model(group, graph: graph)
        var worstPoint = 0.0, worstAngle = 0.0
        for _ in 0..<8 {
            let points = randomSet(count: 12 + generator.nextInt(below: 30))
            let reference = try canonicalizer.canonicalize(points)
            for _ in 0..<4 {
                let theta = 2 * Double.pi * generator.nextDouble() - .pi
                let shift = (x: 20 * generator.nextDouble(), y: -7 * generator.nextDouble())
                var moved = points.rotated(by: theta, mirrored: mirror)
                for i in 0..<moved.count {
                    moved.coordinates[2 * i] += shift.x
                    moved.coordinates[2 * i + 1] += shift.y
                }
                let result = try canonicalizer.canonicalize(moved)
                worstPoint = max(worstPoint, worstDifference(result.canonical, reference.canonical))
                // R_θ F (c + R_α F^m p') = R_{θ−α} F^{m+1} p' + …: the angle becomes θ − α and
                // the mirror flag flips under a reflection; θ + α without one.
                let expected = mirror ? theta - reference.frame.angle
                    : theta + reference.frame.angle
                worstAngle = max(worstAngle, abs(OrientationFrame.angleDifference(
                    result.frame.angle, expected)))
                XCTAssertEqual(result.frame.mirrored, reference.frame.mirrored != mirror)
            }
        }
        XCTAssertLessThan(worstPoint, 1e-4, "worst canonical point difference \(worstPoint)")
        XCTAssertLessThan(worstAngle, 1e-4, "worst angle error \(worstAngle) rad")
    }

    func testRotationsAndTranslationsSO2() throws {
        try checkTurns(.so2, graph: .nearest(k: 6), mirror: false)
    }

    func testRotationsO2() throws {
        try checkTurns(.o2, graph: .nearest(k: 6), mirror: false)
    }

    func testReflectionsO2() throws {
        try checkTurns(.o2, graph: .radius(0.8), mirror: true)
    }

    func testPermutationInvariance() throws {
        let canonicalizer = try model(.o2)
        var worst = 0.0
        for _ in 0..<6 {
            let points = randomSet(count: 25)
            var order = Array(0..<points.count)
            generator.shuffle(&order)
            let reference = try canonicalizer.canonicalize(points)
            let result = try canonicalizer.canonicalize(points.permuted(order))
            XCTAssertEqual(result.frame.mirrored, reference.frame.mirrored)
            worst = max(worst, abs(OrientationFrame.angleDifference(result.frame.angle,
                                                                    reference.frame.angle)))
            worst = max(worst, worstDifference(result.canonical,
                                               reference.canonical.permuted(order)))
        }
        XCTAssertLessThan(worst, 1e-5, "worst difference under permutation \(worst)")
    }

    func testCanonicalPointsMapBackThroughTheFrame() throws {
        let points = randomSet(count: 20)
        let result = try model(.o2).canonicalize(points)
        for i in 0..<points.count {
            let p = result.frame.point(fromCanonical: result.canonical.coordinates[2 * i],
                                       result.canonical.coordinates[2 * i + 1])
            XCTAssertEqual(p.x, points.coordinates[2 * i], accuracy: 1e-9)
            XCTAssertEqual(p.y, points.coordinates[2 * i + 1], accuracy: 1e-9)
        }
    }

    func testFrameFromHandPickedVectors() throws {
        // Up along −x: R_θ (0, 1) = (−1, 0) gives 90°. The part of u₂ = (1, −3) orthogonal to
        // up is (0, −3): right = −R_90 (1, 0), so the frame is mirrored; u₂ = (1, 3) is not.
        let frame = try XCTUnwrap(OrientationFrame(vectors: [(-2, 0), (1, -3)], centre: (1, 1)))
        XCTAssertEqual(frame.degrees, 90, accuracy: 1e-12)
        XCTAssertTrue(frame.mirrored)
        let plain = try XCTUnwrap(OrientationFrame(vectors: [(-2, 0), (1, 3)], centre: (1, 1)))
        XCTAssertEqual(plain.degrees, 90, accuracy: 1e-12)
        XCTAssertFalse(plain.mirrored)
        // p = c + R_90 F p': p' = (1, 0) ↦ F → (−1, 0) ↦ R_90 → (0, −1) ↦ (1, 0);
        // p' = (0, 1) ↦ (0, 1) ↦ (−1, 0) ↦ (0, 1).
        let a = frame.point(fromCanonical: 1, 0), b = frame.point(fromCanonical: 0, 1)
        XCTAssertEqual(a.x, 1, accuracy: 1e-12); XCTAssertEqual(a.y, 0, accuracy: 1e-12)
        XCTAssertEqual(b.x, 0, accuracy: 1e-12); XCTAssertEqual(b.y, 1, accuracy: 1e-12)
        XCTAssertNil(OrientationFrame(vectors: [(0, 0)], centre: (0, 0)))
        XCTAssertNil(OrientationFrame(vectors: [(1, 0), (2, 0)], centre: (0, 0)))
    }

    func testRefusesSetsWithoutAnOrientation() throws {
        let canonicalizer = try model(.so2)
        let single = PointSet(coordinates: [1, 2], features: [0, 0], featureCount: 2)
        XCTAssertThrowsError(try canonicalizer.canonicalize(single))
        let same = PointSet(coordinates: [1, 2, 1, 2, 1, 2], features: [Float](repeating: 0,
                            count: 6), featureCount: 2)
        XCTAssertThrowsError(try canonicalizer.canonicalize(same))
        let noFeatures = PointSet(coordinates: [0, 0, 1, 0, 0, 3])
        XCTAssertThrowsError(try canonicalizer.canonicalize(noFeatures))
        XCTAssertThrowsError(try EGNNCanonicalizer(configuration: EGNNConfiguration(layers: 0)))
    }

    func testNearestGraphAgainstBruteForce() {
        // Points on a line at 0, 1, 3, 7: the 2 nearest of 3 (index 2) are 1 (d 2) and 0 (d 3).
        let graph = PointGraph(coordinates: [0, 0, 1, 0, 3, 0, 7, 0], kind: .nearest(k: 2))
        let received = (0..<4).map { i in
            Set(zip(graph.sources, graph.targets).filter { $0.1 == Int32(i) }.map(\.0))
        }
        XCTAssertEqual(received, [[1, 2], [0, 2], [1, 0], [2, 1]])
        // A unit square and its centre: the 2 nearest of a corner are the centre (d² 0.5) and
        // two corners tied at d² 1, all three kept.
        let square = PointGraph(coordinates: [0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5],
                                kind: .nearest(k: 2))
        XCTAssertEqual(Set(zip(square.sources, square.targets).filter { $0.1 == 0 }.map(\.0)),
                       [1, 3, 4])
        let disc = PointGraph(coordinates: [0, 0, 1, 0, 3, 0, 7, 0], kind: .radius(2))
        XCTAssertEqual(disc.edgeCount, 4)  // 0↔1 and 1↔2 (d = 2 is inside).
    }
}
