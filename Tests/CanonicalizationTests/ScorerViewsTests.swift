import Canonicalization
import Equivariance
import Foundation
import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// A canonicalizer that scores several centre-crop views (`ScorerPreprocessing.views`):
/// the combined scores are the mean of the views' log-probabilities, and they stay exactly
/// equivariant under C4 and D4.
final class ScorerViewsTests: XCTestCase {
    /// The same weights (same network seed) with the given views.
    private func canonicalizer(group: Group, views: [Double]?, viewGammas: [Double]? = nil,
                               normalization: IntensityNormalization = .minMax,
                               size: Int = 32) throws -> DiscreteCanonicalizer {
        let configuration = CanonicalizerConfiguration(
            group: group,
            preprocessing: ScorerPreprocessing(cropRatio: 1, size: size,
                                               normalization: normalization, views: views,
                                               viewGammas: viewGammas),
            network: ScoringNetworkConfiguration(fields: [4, 6, 4], poolingSteps: 2, seed: 7))
        let model = try DiscreteCanonicalizer(configuration: configuration)
        model.eval()
        return model
    }

    /// The naive reference: each view cut from the scorer input by index loops (margins
    /// ⌊S·(1 − r)/2⌋ on each side), resized back with the scorer's filter, scored by the
    /// one-view canonicalizer, log-softmax in Double, averaged over the views.
    func testCombinedScoresAreTheMeanOfTheViewsLogProbabilities() throws {
        let views = [1, 0.9, 0.75]
        let size = 32
        var generator = SeededGenerator(seed: 21)
        for group in [Group.c4, .d4] {
            let single = try canonicalizer(group: group, views: nil)
            let multi = try canonicalizer(group: group, views: views)
            let x = orientedImage(height: 40, width: 52, generator: &generator)
            let input = single.scorerInput(x)  // (1, 1, S, S), the same for both
            XCTAssertEqual(input, multi.scorerInput(x))
            var expected = [Double](repeating: 0, count: group.order)
            for ratio in views {
                let margin = Int((Double(size) * (1 - ratio) / 2).rounded(.down))
                let side = size - 2 * margin
                var crop = [Float](repeating: 0, count: side * side)
                for i in 0..<side {
                    for j in 0..<side {
                        crop[i * side + j] = input.storage[(i + margin) * size + j + margin]
                    }
                }
                let view = ScorerPreprocessing.resized(crop, channels: 1, height: side,
                                                       width: side, toHeight: size,
                                                       toWidth: size)
                let scores = single.scorer(Variable(Tensor(shape: [1, 1, size, size],
                                                           storage: view))).value.storage
                let exps = scores.map { exp(Double($0)) }
                let logTotal = log(exps.reduce(0, +))
                for k in 0..<group.order {
                    expected[k] += (Double(scores[k]) - logTotal) / Double(views.count)
                }
            }
            let combined = multi.scores(x).storage
            XCTAssertEqual(combined.count, group.order)
            for k in 0..<group.order {
                XCTAssertEqual(Double(combined[k]), expected[k], accuracy: 1e-5,
                               "\(group) pose \(k)")
            }
            // The views change the scores: the crops were not silently skipped.
            let alone = single.scores(x).storage
            let shifted = alone.map { Double($0) - log(alone.map { exp(Double($0)) }
                .reduce(0, +)) }
            let gap = zip(shifted, combined).map { abs($0 - Double($1)) }.max() ?? 0
            XCTAssertGreaterThan(gap, 1e-3, "\(group): views made no difference")
        }
    }

    /// s(g·x)[g·h] = s(x)[h] for every g of C4 and D4, and the pose of g·x is g ∘ pose(x),
    /// with three views and on a non-square scan.
    func testViewScoresStayEquivariantForEveryElement() throws {
        var generator = SeededGenerator(seed: 13)
        for group in [Group.c4, .d4] {
            let model = try canonicalizer(group: group, views: [1, 0.85, 0.7])
            for (height, width) in [(36, 36), (30, 46)] {
                let x = orientedImage(height: height, width: width, generator: &generator)
                let scores = model.scores(x).storage
                let pose = model.estimatePoses(x)[0]
                XCTAssertGreaterThan(margin(pose), 1e-4, "near tie: \(pose.scores)")
                var worst: Float = 0
                for g in group.elements {
                    let turnedX = group.transformPlanes(x, by: g)
                    let turned = model.scores(turnedX).storage
                    for h in 0..<group.order {
                        let gh = group.composeIndex(group.index(of: g), h)
                        worst = max(worst, abs(turned[gh] - scores[h]))
                    }
                    XCTAssertEqual(model.estimatePoses(turnedX)[0].element,
                                   group.compose(g, pose.element), "\(group) g = \(g)")
                }
                XCTAssertLessThanOrEqual(worst, 1e-5, "\(group) \(height)×\(width)")
            }
        }
    }

    /// One view of the whole input picks the one-view pose with the same probabilities.
    func testTheWholeInputAsOnlyViewKeepsThePose() throws {
        var generator = SeededGenerator(seed: 4)
        let x = orientedImage(height: 32, width: 32, generator: &generator)
        let plain = try canonicalizer(group: .d4, views: nil).estimatePoses(x)[0]
        let whole = try canonicalizer(group: .d4, views: [1]).estimatePoses(x)[0]
        XCTAssertEqual(whole.element, plain.element)
        for (p, q) in zip(whole.probabilities, plain.probabilities) {
            XCTAssertEqual(p, q, accuracy: 1e-6)
        }
    }

    func testInvalidViewsAreRefusedWithTheirValue() {
        let cases: [(Group, [Double], String)] = [
            (.d4, [], "preprocessing.views [] must list at least one crop ratio in (0, 1]"),
            (.d4, [1, 1.2], "preprocessing.views [1.0, 1.2] must list at least one crop ratio "
             + "in (0, 1]"),
            (.d4, [0.9, 0.9], "preprocessing.views [0.9, 0.9] lists a crop ratio twice"),
            (.d8, [1, 0.9], "preprocessing.views need a group that is exact on the pixel grid "
             + "(C4 or D4), not D8: the disc mask of D8 does not survive a crop"),
        ]
        for (group, views, message) in cases {
            XCTAssertThrowsError(try canonicalizer(group: group, views: views)) { error in
                XCTAssertEqual((error as? CanonicalizationError)?.message, message)
            }
        }
    }

    /// A configuration without views encodes without the key, so files written before views
    /// existed keep their bytes; one with views round-trips.
    func testViewsAreEncodedOnlyWhenSet() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let plain = ScorerPreprocessing(cropRatio: 1, size: 64, normalization: .minMax)
        let text = String(decoding: try encoder.encode(plain), as: UTF8.self)
        XCTAssertFalse(text.contains("views"), text)
        XCTAssertEqual(try JSONDecoder().decode(ScorerPreprocessing.self, from: Data(text.utf8)),
                       plain)
        var viewed = plain
        viewed.views = [1, 0.9, 0.8]
        let data = try encoder.encode(viewed)
        XCTAssertEqual(try JSONDecoder().decode(ScorerPreprocessing.self, from: data), viewed)
    }

    /// The naive reference with intensity exponents: every view of the plain input and of the
    /// input raised to each exponent (samples clamped to [0, 1]) scored by the one-view
    /// canonicalizer, log-softmax in Double, all averaged; without `views` the exponents act
    /// on the whole input.
    func testViewGammasScoreEveryViewUnderEveryExponent() throws {
        let size = 32
        var generator = SeededGenerator(seed: 5)
        for (views, gammas) in [([1, 0.8], [0.6]), (nil, [0.5, 2])] as [([Double]?, [Double])] {
            let single = try canonicalizer(group: .d4, views: nil)
            let multi = try canonicalizer(group: .d4, views: views, viewGammas: gammas)
            let x = orientedImage(height: 36, width: 44, generator: &generator)
            let input = single.scorerInput(x)
            var expected = [Double](repeating: 0, count: 8)
            let count = Double((views ?? [1]).count * (gammas.count + 1))
            for gamma in [1] + gammas {
                let raised = Tensor(shape: input.shape, storage: input.storage.map {
                    Float(pow(Double(min(max($0, 0), 1)), gamma))
                })
                for ratio in views ?? [1] {
                    let view = multi.configuration.preprocessing.view(raised, ratio: ratio)
                    let scores = single.scorer(Variable(view)).value.storage
                    let logTotal = log(scores.map { exp(Double($0)) }.reduce(0, +))
                    for k in 0..<8 { expected[k] += (Double(scores[k]) - logTotal) / count }
                }
            }
            let combined = multi.scores(x).storage
            for k in 0..<8 {
                XCTAssertEqual(Double(combined[k]), expected[k], accuracy: 1e-5,
                               "views \(String(describing: views)), gammas \(gammas), pose \(k)")
            }
            let plain = try canonicalizer(group: .d4, views: views).scores(x).storage
            let gap = zip(plain, combined).map { abs($0 - $1) }.max() ?? 0
            XCTAssertGreaterThan(gap, 1e-4, "the exponents made no difference")
        }
    }

    /// With views and exponents, s(g·x)[g·h] = s(x)[h] for every g of D4 and C4.
    func testViewGammaScoresStayEquivariantForEveryElement() throws {
        var generator = SeededGenerator(seed: 17)
        for group in [Group.c4, .d4] {
            let model = try canonicalizer(group: group, views: [1, 0.8], viewGammas: [0.6, 1.5],
                                          normalization: .percentile(lower: 1, upper: 99.5))
            let x = orientedImage(height: 30, width: 42, generator: &generator)
            XCTAssertLessThanOrEqual(worstPermutationError(of: model, on: x, group: group), 1e-5,
                                     "\(group)")
        }
    }

    func testInvalidViewGammasAreRefusedWithTheirValue() {
        let cases: [([Double], IntensityNormalization, String)] = [
            ([], .minMax, "preprocessing.viewGammas [] must list at least one exponent in "
             + "(0, 4] other than 1"),
            ([0.6, 1], .minMax, "preprocessing.viewGammas [0.6, 1.0] must list at least one "
             + "exponent in (0, 4] other than 1"),
            ([0.6, 0.6], .minMax, "preprocessing.viewGammas [0.6, 0.6] lists an exponent twice"),
            ([0.6], .zScore, "preprocessing.viewGammas need a normalization onto [0, 1] "
             + "(minMax or percentile), not zScore"),
        ]
        for (gammas, normalization, message) in cases {
            XCTAssertThrowsError(try canonicalizer(group: .d4, views: nil, viewGammas: gammas,
                                                   normalization: normalization)) { error in
                XCTAssertEqual((error as? CanonicalizationError)?.message, message)
            }
        }
        var encoded = ScorerPreprocessing(cropRatio: 1, size: 64, normalization: .minMax)
        XCTAssertFalse(String(decoding: try! JSONEncoder().encode(encoded), as: UTF8.self)
            .contains("viewGammas"))
        encoded.viewGammas = [0.6]
        XCTAssertEqual(try JSONDecoder().decode(ScorerPreprocessing.self,
                                                from: JSONEncoder().encode(encoded)), encoded)
    }
}
