import Canonicalization
import Equivariance
import ImageCodecs
import ModelRuntime
import TensorCore
import XCTest
import _TestSupport

/// An orientation model is trained and evaluated on `InputSpec.planes(…, antialiased: true)`
/// and run (`canonicalize`, the `CanonicalizeOrientation` stage) on the whole scan through its
/// scorer preprocessing: both must hand the network the same input.
final class ScorerInputConsistencyTests: XCTestCase {
    /// A canonicalizer as `equiscan train` builds one for a 32 × 32 percentile input.
    private func canonicalizer() throws -> DiscreteCanonicalizer {
        try DiscreteCanonicalizer(configuration: CanonicalizerConfiguration(
            group: .d4,
            preprocessing: ScorerPreprocessing(cropRatio: 1, size: 32,
                                               normalization: .percentile(lower: 1, upper: 99.5)),
            network: ScoringNetworkConfiguration(fields: [4, 4], poolingSteps: 1, seed: 3)))
    }

    private func tensor(_ planes: ImagePlanes) -> Tensor {
        Tensor(shape: [1, planes.channels, planes.height, planes.width], storage: planes.values)
    }

    /// Largest difference between the scorer input of the training path (antialiased or
    /// not) and that of the inference path, for a fixture scan.
    private func gap(_ fixture: String, antialiased: Bool) throws -> Float {
        let file = Fixtures.path("orientation/\(fixture)")
        let scan = try ImageDecoder.decode(path: file)
        let spec = InputSpec(width: 32, height: 32, channels: 1,
                             normalization: .percentile(lower: 1, upper: 99.5))
        var log = InputConversionLog(consumer: "test")
        let training = try spec.planes(for: scan, file: file, conversions: &log,
                                       antialiased: antialiased)
        let model = try canonicalizer()
        let trained = model.scorerInput(tensor(training))
        let run = model.scorerInput(tensor(try ImagePlanes(scan: scan, channels: 1, file: file)))
        XCTAssertEqual(trained.shape, run.shape)
        return zip(trained.storage, run.storage).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testTrainingInputEqualsTheInputCanonicalizeGives() throws {
        // Large scans shrunk 8–60 times, where plain bilinear sampling aliases.
        for fixture in ["cr_chest_1841x1955.png", "dipy_t1_coronal_256.png",
                        "ct_enhanced_512_frame0.png"] {
            let antialiased = try gap(fixture, antialiased: true)
            let plain = try gap(fixture, antialiased: false)
            print("\(fixture): scorer input gap \(antialiased) antialiased, \(plain) plain")
            // The training path windows the intensities twice (input spec, then scorer): the
            // second window moves samples by interpolation between percentiles, no more.
            XCTAssertLessThan(antialiased, 5e-3, fixture)
            XCTAssertGreaterThan(plain, 0.05, "\(fixture): plain bilinear should differ")
        }
    }

    /// `ScorerPreprocessing.resized` is the resize of `apply` (no crop, no normalisation), on
    /// a non-square two-channel image shrunk and enlarged.
    func testResizedMatchesApply() {
        var generator = SeededGenerator(seed: 9)
        let (height, width) = (45, 70)
        let values = (0..<(2 * height * width)).map { _ in Float(generator.nextDouble()) }
        let images = Tensor(shape: [1, 2, height, width], storage: values)
        for size in [16, 90] {
            let applied = ScorerPreprocessing(cropRatio: 1, size: size, normalization: .none)
                .apply(images)
            let resized = ScorerPreprocessing.resized(values, channels: 2, height: height,
                                                      width: width, toHeight: size,
                                                      toWidth: size)
            XCTAssertEqual(applied.storage, resized, "size \(size)")
        }
    }
}
