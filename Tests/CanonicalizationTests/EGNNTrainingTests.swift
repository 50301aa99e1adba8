import Canonicalization
import Foundation
import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// Orientation training of the EGNN canonicalizer on a synthetic family with an unambiguous
/// upright pose, its loss against a hand-computed value, and weight files.
final class EGNNTrainingTests: XCTestCase {
    /// An "arrow": points along a shaft on the +x axis, a heavier head at its end and a short
    /// cross bar on +y near the tail (so the upright pose is unique under O(2) too), jittered.
    private func arrow(_ generator: inout SeededGenerator) -> PointSet {
        var coordinates: [Double] = []
        for k in 0..<8 { coordinates += [Double(k) - 3.5, 0] }
        coordinates += [4.5, 0.6, 4.5, -0.6, 5, 0]
        coordinates += [-3, 1, -3, 2]
        let jittered = coordinates.map { $0 + 0.05 * Double(generator.nextGaussian()) }
        return PointSet(coordinates: jittered, features: [Float](repeating: 1, count: 13),
                        featureCount: 1)
    }

    func testCosineLossAgainstHandValues() {
        // u = (3, 4) against t = (1, 0): 1 − 3/5; gradient −(t/5 − 3·u/125).
        let u = Variable(Tensor(shape: [1, 2], storage: [3, 4]), requiresGrad: true)
        let loss = FrameLosses.cosine(u, targets: [1, 0])
        XCTAssertEqual(loss.value.storage[0], 0.4, accuracy: 1e-6)
        loss.backward()
        XCTAssertEqual(u.grad?.storage[0] ?? .nan, -(0.2 - 9.0 / 125), accuracy: 1e-6)
        XCTAssertEqual(u.grad?.storage[1] ?? .nan, 12.0 / 125, accuracy: 1e-6)
        // Up R_90 (0, 1) = (−1, 0); right −R_90 (1, 0) = (0, −1) under the mirror.
        XCTAssertEqual(FrameLosses.targets(angle: .pi / 2, mirrored: true, vectorCount: 2)
            .map { ($0 * 1e6).rounded() / 1e6 }, [-1, 0, 0, -1])
    }

    func testTrainingLearnsTheUprightPose() throws {
        for group in [FrameGroup.so2, .o2] {
            let model = try EGNNCanonicalizer(configuration: EGNNConfiguration(
                group: group, featureChannels: 1, hiddenFeatures: 16, messageFeatures: 16,
                vectorChannels: 4, layers: 2, graph: .nearest(k: 4), seed: 3))
            let trainer = EGNNOrientationTrainer(canonicalizer: model,
                                                 optimizer: Adam(module: model,
                                                                 learningRate: 1e-2))
            var generator = SeededGenerator(seed: 12)
            for _ in 0..<150 {
                let batch = (0..<8).map { _ in arrow(&generator) }
                try trainer.step(upright: batch, generator: &generator)
            }
            model.eval()
            // Held-out arrows turned by known poses: the recovered angle is the applied one.
            var errors: [Double] = []
            for _ in 0..<20 {
                let points = arrow(&generator)
                let theta = 2 * Double.pi * generator.nextDouble() - .pi
                let mirrored = group == .o2 && generator.nextInt(below: 2) == 1
                let frame = try model.canonicalize(
                    points.rotated(by: theta, mirrored: mirrored, about: points.centroid)).frame
                XCTAssertEqual(frame.mirrored, mirrored, "\(group)")
                errors.append(abs(OrientationFrame.angleDifference(frame.angle, theta)) * 180
                              / .pi)
            }
            let median = Statistics.percentile(sorted: errors.sorted(), 50)
            XCTAssertLessThan(median, 5, "\(group): median angle error \(median)°")
        }
    }

    func testWeightFileRoundTrip() throws {
        let model = try EGNNCanonicalizer(configuration: EGNNConfiguration(
            group: .o2, featureChannels: 1, graph: .radius(1.5), seed: 4))
        model.eval()
        let url = temporaryFolderURL(prefix: "egnn").appendingPathComponent("w.safetensors")
        try model.save(weightsTo: url, extraMetadata: ["note": "test"])
        let loaded = try EGNNCanonicalizer.load(from: url)
        XCTAssertEqual(loaded.configuration, model.configuration)
        var generator = SeededGenerator(seed: 1)
        let points = arrow(&generator)
        XCTAssertEqual(try loaded.canonicalize(points), try model.canonicalize(points))
        let metadata = try SafeTensors.read(from: url).metadata
        XCTAssertEqual(metadata[CanonicalizerMetadata.groupKey], "O2")
        XCTAssertThrowsError(try DiscreteCanonicalizer.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("expected \"DiscreteCanonicalizer\""), "\(error)")
        }
    }
}

extension EGNNTrainingTests {
    /// End to end with the prior: the task (the arrow's head should lie on the canonical x axis,
    /// y' = 0, as it does upright) plus the prior (upright data stays upright) falls over the
    /// steps, and the learnt frame of upright arrows is near the identity.
    func testPriorRegularisedEndToEndTraining() throws {
        let model = try EGNNCanonicalizer(configuration: EGNNConfiguration(
            group: .so2, featureChannels: 1, hiddenFeatures: 12, messageFeatures: 12,
            vectorChannels: 3, layers: 2, graph: .nearest(k: 4), seed: 6))
        let trainer = EGNNCanonicalizedTrainer(canonicalizer: model,
                                               optimizer: Adam(module: model, learningRate: 1e-2),
                                               priorWeight: 1)
        var generator = SeededGenerator(seed: 30)
        var first: (Float, Float)?, last: (Float, Float) = (0, 0)
        for _ in 0..<60 {
            let batch = (0..<4).map { _ in arrow(&generator) }
            last = try trainer.step(sets: batch) { canonical, _ in
                // Points 8–10 of each set (13 points) are the head: mean of masked (y')².
                let head = (0..<4).flatMap { b in (8...10).map { b * 13 + $0 } }
                let y = Functional.slice(canonical, axis: 1, range: 1..<2)  // (N, 1)
                let mask = Tensor(shape: y.shape, storage: (0..<y.shape[0]).map {
                    head.contains($0) ? 1 : 0
                })
                return Functional.mean(y * y * Variable(mask))
            }
            if first == nil { first = last }
        }
        let start = try XCTUnwrap(first)
        XCTAssertLessThan(last.0 + last.1, start.0 + start.1,
                          "task + prior: \(start) at the first step, \(last) at the last")
        model.eval()
        let angle = try model.canonicalize(arrow(&generator)).frame.degrees
        XCTAssertLessThan(abs(angle), 20, "angle of an upright arrow \(angle)°")
    }
}
