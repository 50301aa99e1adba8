import Canonicalization
import Equivariance
import Foundation
import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// Weight files: the configuration, group and preprocessing travel in the metadata.
final class CanonicalizerFileTests: XCTestCase {
    private func temporaryURL() -> URL {
        temporaryFolderURL(prefix: "canon").appendingPathComponent("canonicalizer.safetensors")
    }

    func testSaveAndLoadRoundTrip() throws {
        let canonicalizer = try smallCanonicalizer(group: .d4, cropRatio: 0.9,
                                                   normalization: .percentile(lower: 2, upper: 98))
        // Move the running statistics and weights off their initial values.
        canonicalizer.train()
        var generator = SeededGenerator(seed: 2)
        let batch = Tensor.gaussian(shape: [3, 1, 40, 40], generator: &generator)
        _ = canonicalizer(Variable(canonicalizer.scorerInput(batch)))
        canonicalizer.eval()
        let url = temporaryURL()
        try canonicalizer.save(weightsTo: url, extraMetadata: ["note": "test"])

        let metadata = try SafeTensors.read(from: url).metadata
        XCTAssertEqual(metadata[CanonicalizerMetadata.groupKey], "D4")
        XCTAssertEqual(metadata[CanonicalizerMetadata.modelKey], "DiscreteCanonicalizer")
        XCTAssertEqual(metadata["note"], "test")
        let preprocessing = try JSONDecoder().decode(
            ScorerPreprocessing.self,
            from: Data((metadata[CanonicalizerMetadata.preprocessingKey] ?? "").utf8))
        XCTAssertEqual(preprocessing, canonicalizer.configuration.preprocessing)
        // Sorted keys: the same weights always give the same bytes.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        XCTAssertEqual(metadata[CanonicalizerMetadata.configurationKey],
                       String(decoding: try encoder.encode(canonicalizer.configuration),
                              as: UTF8.self))
        let bytes = try Data(contentsOf: url)
        try canonicalizer.save(weightsTo: url, extraMetadata: ["note": "test"])
        XCTAssertEqual(try Data(contentsOf: url), bytes)

        let loaded = try DiscreteCanonicalizer.load(from: url)
        XCTAssertEqual(loaded.configuration, canonicalizer.configuration)
        XCTAssertFalse(loaded.isTraining)
        XCTAssertEqual(loaded.scores(batch), canonicalizer.scores(batch))
    }

    func testLoadRefusesOtherModels() throws {
        let url = temporaryURL()
        try SafeTensors.write(["w": Tensor(zeros: [1])], metadata: ["equiscan.model": "P4CNN"],
                              to: url)
        XCTAssertThrowsError(try DiscreteCanonicalizer.load(from: url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("\"P4CNN\"") && text.contains("DiscreteCanonicalizer"),
                          text)
        }
    }

    func testConfigurationValidation() {
        func message(_ configuration: CanonicalizerConfiguration) -> String? {
            do {
                try configuration.validate()
                return nil
            } catch {
                return "\(error)"
            }
        }
        XCTAssertNil(message(CanonicalizerConfiguration()))
        XCTAssertTrue(message(.init(group: .c4, preprocessing: .init(size: 90)))?
            .contains("preprocessing.size 90") ?? false)
        XCTAssertTrue(message(.init(group: .cyclic(6)))?.contains("group C6") ?? false)
        XCTAssertTrue(message(.init(preprocessing: .init(cropRatio: 1.5)))?
            .contains("cropRatio 1.5") ?? false)
        XCTAssertTrue(message(.init(network: .init(fields: [8])))?.contains("[8]") ?? false)
        XCTAssertThrowsError(try DiscreteCanonicalizer(
            configuration: .init(network: .init(kernelSize: 4))))
    }
}
