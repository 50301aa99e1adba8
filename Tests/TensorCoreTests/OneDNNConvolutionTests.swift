import Synchronization
import TensorCore
import XCTest
import _TestSupport

/// oneDNN's inference convolution against the reference path (`Conv2DKernels.referenceForward`,
/// im2col + sgemm) on the shapes that exercise its layouts: strides, padding, channel counts
/// that are not multiples of 8 or 16, one-channel sides (no reorder), batch 1 and 8.
final class OneDNNConvolutionTests: TwoWorkerTestCase {
    /// The reference forward, then max(·, 0) by a plain loop when `relu`.
    private func reference(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: Int,
                           padding: Int, relu: Bool) -> Tensor {
        var y = Conv2DKernels.referenceForward(input: x, weight: weight, bias: bias,
                                               stride: stride, padding: padding)
        if relu { y.storage = y.storage.map { max($0, 0) } }
        return y
    }

    /// Asserts max |a − b| ≤ 1e-4 · max |b| and reports the worst relative error.
    private func assertMatches(_ actual: Tensor, _ expected: Tensor, _ context: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        let scale = expected.storage.reduce(0) { max($0, abs($1)) }
        XCTAssertGreaterThan(scale, 0, "degenerate case, \(context)", file: file, line: line)
        assertClose(actual, expected, tolerance: 1e-4 * scale, context, file: file, line: line)
        let worst = zip(actual.storage, expected.storage).reduce(0) { max($0, abs($1.0 - $1.1)) }
        print("oneDNN vs reference \(context): relative error \(worst / scale)")
    }

    func testMatchesTheReferencePathOnLayerCases() throws {
        XCTAssertTrue(ConvolutionEngine.isOneDNNAvailable, "libdnnl is linked: its engine must start")
        var rng = SeededGenerator(seed: 140)
        // (N, Cin, H, W), Cout, k, stride, padding, bias, relu
        let cases: [([Int], Int, Int, Int, Int, Bool, Bool)] = [
            ([1, 1, 28, 28], 40, 3, 1, 0, true, true),     // lifting: no input reorder
            ([8, 40, 12, 12], 40, 3, 1, 0, true, true),    // P4CNN hidden layer
            ([1, 13, 17, 19], 7, 3, 1, 1, true, false),    // odd channels and extents
            ([8, 20, 9, 11], 12, 3, 2, 1, false, true),    // stride 2
            ([1, 5, 16, 16], 3, 5, 3, 2, true, true),      // stride 3, 5×5, padding 2
            ([8, 24, 10, 10], 36, 1, 1, 0, true, false),   // 1×1
            ([1, 40, 4, 4], 40, 4, 1, 0, true, false),     // P4CNN's final 4×4
            ([8, 3, 7, 6], 1, 3, 1, 1, true, true),        // one output channel: no reorder back
            ([1, 32, 64, 64], 32, 3, 1, 1, true, true),    // U-Net level, channels of 16
            ([2, 96, 20, 24], 32, 3, 1, 1, true, true),    // decoder after concatenation
        ]
        for (shape, cout, k, stride, padding, useBias, relu) in cases {
            let x = rng.signedTensor(shape)
            let weight = rng.signedTensor([cout, shape[1], k, k])
            let bias = useBias ? rng.signedTensor([cout]) : nil
            let convolution = try OneDNNConvolution(weight: weight, bias: bias, relu: relu)
            let kernel = try convolution.implementation(inputShape: shape, stride: stride,
                                                        padding: padding)
            let context = "x \(shape) w \(weight.shape) stride \(stride) padding \(padding) "
                + "bias \(useBias) relu \(relu) (\(kernel))"
            let expected = reference(x, weight, bias, stride: stride, padding: padding, relu: relu)
            let first = try convolution.forward(x, stride: stride, padding: padding)
            assertMatches(first, expected, context)
            // The cached plans give the same bits again.
            assertBitwiseEqual(try convolution.forward(x, stride: stride, padding: padding),
                               first, "second call, \(context)")
            // Channels-last in and out: the same samples in the other order.
            let last = try convolution.forwardChannelsLast(ChannelsLastKernels.fromPlanes(x),
                                                           stride: stride, padding: padding)
            assertMatches(ChannelsLastKernels.toPlanes(last), expected, "channels-last, \(context)")
        }
    }

    /// The reference path itself against plain loops on one case, so a shared mistake in the
    /// two paths cannot hide (padding, stride and bias conventions).
    func testAgreesWithPlainLoops() throws {
        var rng = SeededGenerator(seed: 141)
        let x = rng.signedTensor([2, 6, 9, 8])
        let weight = rng.signedTensor([5, 6, 3, 3])
        let bias = rng.signedTensor([5])
        let convolution = try OneDNNConvolution(weight: weight, bias: bias, relu: false)
        let naive = NaiveReference.conv2DForward(input: x, weight: weight, bias: bias, stride: 2,
                                                 padding: 1)
        assertMatches(try convolution.forward(x, stride: 2, padding: 1), naive,
                      "against plain loops")
    }

    /// One worker, two workers (images split over them), and a call from inside a parallel
    /// region (no further split) all give the reference result, for batches of 1 and 8.
    func testThreadCountsAndCallsFromRegions() throws {
        var rng = SeededGenerator(seed: 142)
        let weight = rng.signedTensor([24, 20, 3, 3])
        let bias = rng.signedTensor([24])
        let convolution = try OneDNNConvolution(weight: weight, bias: bias, relu: true)
        for batch in [1, 8] {
            let x = rng.signedTensor([batch, 20, 15, 15])
            let expected = reference(x, weight, bias, stride: 1, padding: 1, relu: true)
            for workers in [1, 2] {
                ThreadPolicy.workerCount = workers
                assertMatches(try convolution.forward(x, padding: 1), expected,
                              "batch \(batch), \(workers) worker(s)")
            }
            ThreadPolicy.workerCount = 2
            let results = Mutex<[Int: Tensor]>([:])
            ThreadPolicy.parallel(count: 2) { chunk, _ in
                let y = try? convolution.forward(x, padding: 1)
                results.withLock { $0[chunk] = y }
            }
            for chunk in 0..<2 {
                guard let y = results.withLock({ $0[chunk] }) else {
                    return XCTFail("no result from chunk \(chunk), batch \(batch)")
                }
                assertMatches(y, expected, "batch \(batch), inside a region, chunk \(chunk)")
            }
            XCTAssertEqual(ThreadPolicy.blasThreadCount, 2,
                           "OpenBLAS must be back at workerCount once the regions end")
        }
    }

    /// The engine switch: both values can be selected, and reports name the library version.
    func testEngineCanBeSelectedAtRunTime() {
        let saved = ConvolutionEngine.selected
        defer { ConvolutionEngine.selected = saved }
        ConvolutionEngine.selected = .reference
        XCTAssertEqual(ConvolutionEngine.selected, .reference)
        XCTAssertEqual(ConvolutionEngine.selectedDescription, "reference")
        ConvolutionEngine.selected = .onednn
        XCTAssertEqual(ConvolutionEngine.selected, .onednn)
        XCTAssertTrue(ConvolutionEngine.selectedDescription.hasPrefix("onednn 2."),
                      ConvolutionEngine.selectedDescription)
    }
}
