import Canonicalization
import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// Gradients of the EGNN operations, of one layer and of the whole canonicalizer against
/// central finite differences. Every op is smooth (SiLU, products, sums), so ε = 1e-2 and a
/// tolerance of 2e-3 on |analytic − numerical| / max(1, |analytic|, |numerical|) hold
/// (truncation O(ε²·f‴) ≈ 1e-4, Float32 rounding O(6e-8·|y|·√m / ε) ≈ 1e-4 here); the worst
/// error is reported on failure.
final class EGNNGradientTests: XCTestCase {
    private var generator = SeededGenerator(seed: 314)

    private func random(_ shape: [Int]) -> Tensor {
        Tensor.gaussian(shape: shape, std: 1, generator: &generator)
    }

    /// A small graph: 5 nodes, 7 edges, node 4 receiving nothing.
    private let graph = PointGraph(sources: [1, 2, 0, 3, 0, 4, 2], targets: [0, 0, 1, 1, 2, 3, 3],
                                   nodeCount: 5)

    func testOperations() {
        let indices = graph.targets
        GradientCheck.assertTapeGradients(inputs: [random([3, 4])], "silu") {
            EGNNOperations.silu($0[0])
        }
        GradientCheck.assertTapeGradients(inputs: [random([5, 3])], "gatherRows") {
            EGNNOperations.gatherRows($0[0], indices: indices)
        }
        GradientCheck.assertTapeGradients(inputs: [random([7, 3])], "scatterMean") {
            EGNNOperations.scatterMean($0[0], indices: indices, rows: 5)
        }
        GradientCheck.assertTapeGradients(inputs: [random([5, 6])], "squaredNorms") {
            EGNNOperations.squaredNorms($0[0])
        }
        let offsets = random([7, 2])
        GradientCheck.assertTapeGradients(inputs: [random([7, 3])], "scaleVectors") {
            EGNNOperations.scaleVectors(offsets, by: $0[0])
        }
        GradientCheck.assertTapeGradients(inputs: [random([5, 6]), random([4, 3])],
                                          "mixChannels") {
            EGNNOperations.mixChannels($0[0], weight: $0[1])
        }
    }

    func testScatterMeanAgainstHandComputedValues() {
        // Node 0 receives edges 0, 1; node 1 edges 2, 3; node 2 edge 4; node 3 edges 5, 6.
        let x = Variable(Tensor(shape: [7, 1], storage: [1, 3, 10, 20, 5, 2, 4]))
        let mean = EGNNOperations.scatterMean(x, indices: graph.targets, rows: 5)
        XCTAssertEqual(mean.value.storage, [2, 15, 5, 3, 0])
    }

    func testLayerGradients() {
        var weightGenerator = SeededGenerator(seed: 5)
        let layer = EGNNLayer(features: 3, vectorChannels: 2, outputVectorChannels: 3,
                              messages: 4, generator: &weightGenerator)
        let edges = EdgeGeometry(graph: graph, positions: random([5, 2]).storage)
        // Features and vectors both outputs: concatenated so one probe checks both.
        GradientCheck.assertTapeGradients(inputs: [random([5, 3]), random([5, 4])],
                                          parameters: layer.parameters(), "EGNNLayer") { x in
            let (h, v) = layer(features: x[0], vectors: x[1], edges: edges)
            return Functional.concatenate([h, v])
        }
    }

    func testCanonicalizerGradients() throws {
        let model = try EGNNCanonicalizer(configuration: EGNNConfiguration(
            group: .o2, featureChannels: 1, hiddenFeatures: 4, messageFeatures: 4,
            vectorChannels: 2, layers: 2, graph: .nearest(k: 3), seed: 8))
        let sets = (0..<2).map { _ in
            PointSet(coordinates: random([6, 2]).storage.map(Double.init),
                     features: random([6, 1]).storage, featureCount: 1)
        }
        let input = try model.input(for: sets)
        // The vector mixing of the first layer enters the next layer's invariants squared and
        // passes two more SiLU networks, so third derivatives reach ~1e4: the worst error at
        // ε = 1e-2, 3e-3, 1e-3 was measured as 0.23, 0.021, 0.0022, falling as ε² (truncation,
        // not a wrong gradient). ε = 1e-3 with tolerance 5e-3 (Float32 rounding ≈ 6e-5·|y|).
        GradientCheck.assertTapeGradients(inputs: [], parameters: model.parameters(),
                                          epsilon: 1e-3, tolerance: 5e-3, maximumSamples: 40,
                                          "EGNNCanonicalizer") { _ in
            model.frameVectors(input)
        }
    }
}

extension EGNNGradientTests {
    /// The canonical positions against finite differences of their frame vectors (SO(2): one
    /// vector; O(2): two, through Gram–Schmidt), and against the frame applied by hand.
    func testCanonicalPositions() throws {
        var generator = SeededGenerator(seed: 21)
        for group in [FrameGroup.so2, .o2] {
            let model = try EGNNCanonicalizer(configuration: EGNNConfiguration(
                group: group, hiddenFeatures: 4, messageFeatures: 4, vectorChannels: 2,
                layers: 1, seed: 1))
            let sets = (0..<2).map { _ in
                PointSet(coordinates: (0..<12).map { _ in Double(generator.nextGaussian()) })
            }
            let input = try model.input(for: sets)
            let count = group.frameVectorCount
            let vectors = Tensor.gaussian(shape: [2, 2 * count], std: 1, generator: &generator)
            GradientCheck.assertTapeGradients(inputs: [vectors], epsilon: 1e-3, tolerance: 2e-3,
                                              "canonicalPositions \(group)") {
                EGNNOperations.canonicalPositions($0[0], input: input)
            }
            let positions = EGNNOperations.canonicalPositions(Variable(vectors), input: input)
            for b in 0..<2 {
                let v = vectors.storage[(b * 2 * count)..<((b + 1) * 2 * count)].map(Double.init)
                let frame = try XCTUnwrap(OrientationFrame(
                    vectors: count == 1 ? [(v[0], v[1])] : [(v[0], v[1]), (v[2], v[3])],
                    centre: (0, 0)))
                for i in (6 * b)..<(6 * b + 6) {
                    let p = frame.canonical(x: Double(input.positions.storage[2 * i]),
                                            y: Double(input.positions.storage[2 * i + 1]))
                    XCTAssertEqual(Double(positions.value.storage[2 * i]), p.x, accuracy: 1e-5)
                    XCTAssertEqual(Double(positions.value.storage[2 * i + 1]), p.y,
                                   accuracy: 1e-5)
                }
            }
        }
    }
}
