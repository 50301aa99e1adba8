import Canonicalization
import Equivariance
import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// End-to-end training pieces: the straight-through estimator and the prior loss.
final class StraightThroughTests: XCTestCase {
    /// Forward: the canonical images are the one-hot choice, equal to `canonicalize`.
    func testForwardIsTheHardCanonicalization() throws {
        var generator = SeededGenerator(seed: 31)
        let canonicalizer = try smallCanonicalizer(group: .d4)
        let images = Tensor.concatenate((0..<3).map { _ in
            orientedImage(height: 32, width: 32, generator: &generator)
        }, axis: 0)
        let (canonical, _, poses) = CanonicalizedTraining.canonicalize(images, with: canonicalizer)
        let reference = canonicalizer.canonicalize(images)
        XCTAssertEqual(canonical.value, reference.canonical)
        XCTAssertEqual(poses.map(\.element), reference.poses.map(\.element))
    }

    /// Backward: for a task loss linear in the canonical image, L = ⟨c, canonical⟩, the
    /// straight-through gradient equals the exact gradient of the soft surrogate
    /// ⟨c, Σ_k softmax(β·s)_k · T_k⁻¹ x⟩ with respect to the scorer's weights; checked against
    /// central finite differences of that surrogate.
    func testBackwardMatchesSoftSurrogate() throws {
        var generator = SeededGenerator(seed: 17)
        let group = Group.c4
        let canonicalizer = try smallCanonicalizer(group: group, size: 16)
        let images = Tensor.concatenate((0..<2).map { _ in
            orientedImage(height: 16, width: 16, generator: &generator)
        }, axis: 0)
        let probe = Tensor.gaussian(shape: images.shape, generator: &generator)
        let beta: Float = 0.7
        let weight = canonicalizer.scorer.namedParameters()[0].parameter  // lifting filters

        canonicalizer.zeroGradients()
        let (canonical, _, _) = CanonicalizedTraining.canonicalize(images, with: canonicalizer,
                                                                    beta: beta)
        let loss = Variable.record(Tensor(scalar: Float(GradientCheck.probe(canonical.value,
                                                                             weights: probe))),
                                   parents: [canonical]) { _ in [probe] }
        loss.backward()
        let analytic = try XCTUnwrap(weight.grad)

        let turned = group.elements.map {
            PoseActions.transformPlanes(images, by: group.inverse($0), of: group)
        }
        let surrogate = { (values: [Tensor]) -> Double in
            weight.value = values[0]
            canonicalizer.invalidateCaches()
            let scores = canonicalizer.scores(images)
            var total = 0.0
            let sampleSize = images.count / 2
            for n in 0..<2 {
                let row = (0..<4).map { beta * scores.storage[n * 4 + $0] }
                let top = row.max() ?? 0
                let exps = row.map { exp(Double($0 - top)) }
                let sum = exps.reduce(0, +)
                for k in 0..<4 {
                    var dot = 0.0
                    for i in (n * sampleSize)..<((n + 1) * sampleSize) {
                        dot += Double(probe.storage[i]) * Double(turned[k].storage[i])
                    }
                    total += exps[k] / sum * dot
                }
            }
            return total
        }
        let original = weight.value
        let numerical = GradientCheck.numericalGradients(inputs: [original], epsilon: 1e-2,
                                                         maximumSamples: 12,
                                                         function: surrogate)[0]
        weight.value = original
        canonicalizer.invalidateCaches()
        var worst = 0.0
        var checked = 0
        for i in 0..<numerical.count where numerical[i] != 0 {
            let a = Double(analytic.storage[i]), n = numerical[i]
            worst = max(worst, abs(a - n) / max(1, abs(n)))
            checked += 1
        }
        print("straight-through gradient vs soft surrogate: worst error \(worst) over "
              + "\(checked) weights")
        XCTAssertGreaterThan(checked, 5)
        XCTAssertLessThanOrEqual(worst, 2e-2)
    }

    /// The prior loss is the cross-entropy against the identity: log|G| for equal scores, and
    /// its gradient is (softmax − onehot(0)) / N.
    func testPriorLoss() {
        let scores = Variable(Tensor(zeros: [2, 8]), requiresGrad: true)
        let loss = ScoreLosses.prior(scores: scores)
        XCTAssertEqual(loss.value.storage[0], log(8), accuracy: 1e-6)
        loss.backward()
        let gradient = scores.grad?.storage ?? []
        XCTAssertEqual(gradient[0], (1.0 / 8 - 1) / 2, accuracy: 1e-6)
        XCTAssertEqual(gradient[1], 1.0 / 16, accuracy: 1e-6)
    }

    /// End to end with a small downstream classifier on upright data: the prior keeps upright
    /// images upright (pose = identity) while the task loss falls.
    func testEndToEndTrainingWithPriorKeepsUprightDataUpright() throws {
        var generator = SeededGenerator(seed: 41)
        let group = Group.c4
        let canonicalizer = try smallCanonicalizer(group: group, size: 16)
        // Downstream: a linear read-out of the canonical image, two classes.
        let readout = Variable(Tensor.gaussian(shape: [2, 256], std: 0.05, generator: &generator),
                               requiresGrad: true)
        let named = canonicalizer.namedParameters() + [("readout", readout)]
        let optimizer = Adam(namedParameters: named, learningRate: 3e-3, module: canonicalizer)
        let trainer = CanonicalizedTrainer(canonicalizer: canonicalizer, optimizer: optimizer)
        XCTAssertEqual(trainer.priorWeight, 100)
        // Class 0: blob in the upper half; class 1: blob in the lower half.
        func batch() -> (Tensor, [Int32]) {
            var images: [Tensor] = [], labels: [Int32] = []
            for n in 0..<8 {
                var x = orientedImage(height: 16, width: 16, generator: &generator)
                if n % 2 == 1 { x = numpyFlipW(numpyRot90(numpyRot90(x, times: 1), times: 1)) }
                images.append(x)
                labels.append(Int32(n % 2))
            }
            return (Tensor.concatenate(images, axis: 0), labels)
        }
        var first: CanonicalizedTrainingStep?
        var last: CanonicalizedTrainingStep?
        for _ in 0..<30 {
            let (images, labels) = batch()
            let step = trainer.step(images: images) { canonical in
                let flat = canonical.value.reshaped([8, 256])
                var logits = [Float](repeating: 0, count: 16)
                for n in 0..<8 {
                    for c in 0..<2 {
                        var sum: Float = 0
                        for i in 0..<256 {
                            sum += flat.storage[n * 256 + i] * readout.value.storage[c * 256 + i]
                        }
                        logits[n * 2 + c] = sum
                    }
                }
                let scores = Variable.record(Tensor(shape: [8, 2], storage: logits),
                                             parents: [canonical, readout]) { g in
                    var gi = [Float](repeating: 0, count: 8 * 256)
                    var gw = [Float](repeating: 0, count: 2 * 256)
                    for n in 0..<8 {
                        for c in 0..<2 {
                            let gc = g.storage[n * 2 + c]
                            for i in 0..<256 {
                                gi[n * 256 + i] += gc * readout.value.storage[c * 256 + i]
                                gw[c * 256 + i] += gc * flat.storage[n * 256 + i]
                            }
                        }
                    }
                    return [Tensor(shape: canonical.shape, storage: gi),
                            Tensor(shape: [2, 256], storage: gw)]
                }
                return ScoreLosses.crossEntropy(scores: scores, targets: labels)
            }
            if first == nil { first = step }
            last = step
        }
        let start = try XCTUnwrap(first), end = try XCTUnwrap(last)
        print("end-to-end: task \(start.taskLoss) → \(end.taskLoss), prior \(start.priorLoss) "
              + "→ \(end.priorLoss)")
        XCTAssertLessThan(end.priorLoss, start.priorLoss)
        XCTAssertLessThan(end.taskLoss, start.taskLoss)
        canonicalizer.eval()
        let (images, _) = batch()
        let identity = canonicalizer.estimatePoses(images).filter { $0.index == 0 }.count
        print("end-to-end: \(identity)/8 upright images kept upright")
        XCTAssertGreaterThanOrEqual(identity, 7)
    }
}
