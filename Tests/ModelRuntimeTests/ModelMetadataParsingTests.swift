import _TestSupport
import Foundation
import ModelRuntime
import StrictJSON
import XCTest

/// `metadata.json` is validated field by field; every refusal names file, line, column and
/// JSON pointer and never shows a Swift or Foundation error description.
final class ModelMetadataParsingTests: XCTestCase {
    static var samples: URL {
        Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/models", isDirectory: true)
    }

    static func sampleText(_ name: String) throws -> String {
        try String(contentsOf: samples.appendingPathComponent("\(name)/metadata.json"),
                   encoding: .utf8)
    }

    /// A classifier's metadata.json as written before the evaluation protocol (the first
    /// bccd-cells package), kept as a fixture so that the positions the tests below name do
    /// not move when the sample packages are retrained.
    static func fixtureText() throws -> String {
        try String(contentsOf: Fixtures.url("metadata/bccd-cells-1.0.0.json"), encoding: .utf8)
    }

    func testEverySampleMetadataParsesAndRoundTripsThroughTheWriter() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.samples.path)
            .filter {
                FileManager.default.fileExists(atPath: Self.samples
                    .appendingPathComponent("\($0)/metadata.json").path)
            }
        XCTAssertGreaterThanOrEqual(folders.count, 4, "sample packages found: \(folders)")
        for folder in folders.sorted() {
            let path = Self.samples.appendingPathComponent(folder).path
            if EGNNPackage.holdsEGNN(path) {
                // A continuous package has its own metadata: it loads, weights checked, and its
                // metadata reads back from the writer's form.
                let package = try EGNNPackage.load(path)
                XCTAssertEqual(package.metadata.name, folder)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                XCTAssertEqual(try JSONDecoder().decode(EGNNPackageMetadata.self,
                                                        from: encoder.encode(package.metadata)),
                               package.metadata, folder)
                continue
            }
            let file = Self.samples.appendingPathComponent("\(folder)/metadata.json").path
            let metadata = try ModelMetadata.parse(try Self.sampleText(folder), file: file)
            XCTAssertEqual(metadata.name, folder)
            // The writer's form (AtomicFile.writeJSON) reads back to the same value.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let written = String(decoding: try encoder.encode(metadata), as: UTF8.self)
            XCTAssertEqual(try ModelMetadata.parse(written, file: file), metadata, folder)
            // And the whole package loads, weights checked.
            let package = try ModelPackage.load(Self.samples.appendingPathComponent(folder).path)
            XCTAssertEqual(package.metadata, metadata)
        }
    }

    /// The fields of the evaluation protocol (test part, source pattern) and of
    /// reproducibility are read, and written back in a form that reads the same; packages
    /// without them still load (above).
    func testProtocolAndReproducibilityFieldsRoundTrip() throws {
        let file = "m/metadata.json"
        let sample = try Self.fixtureText()
        XCTAssertNil(try ModelMetadata.parse(sample, file: file).reproducibility)
        let text = sample
            .replacingOccurrences(of: "\"trainCases\" :", with: """
                "test": ["cells/test"], "testCases": 17, "groupPattern": "^(.*)_crop\\\\d+",
                "trainCases" :
                """)
            .replacingOccurrences(of: "\"notice\" :", with: """
                "reproducibility": {"seed": 2024, "codeRevision": "v1.2-3-gabcdef0-dirty",
                  "compute": {"threads": 2, "blasLibrary": "OpenBLAS 0.3.21 DYNAMIC_ARCH",
                              "blasCoreType": "Haswell", "blasCoreTypeVariable": "Haswell",
                              "convolutionEngine": "onednn 2.6.3", "oneDNNISA": "cpu_isa_avx2"}},
                "notice" :
                """)
        let metadata = try ModelMetadata.parse(text, file: file)
        XCTAssertEqual(metadata.trainingData.test, ["cells/test"])
        XCTAssertEqual(metadata.trainingData.testCases, 17)
        XCTAssertEqual(metadata.trainingData.groupPattern, #"^(.*)_crop\d+"#)
        let record = try XCTUnwrap(metadata.reproducibility)
        XCTAssertEqual(record.seed, 2024)
        XCTAssertEqual(record.codeRevision, "v1.2-3-gabcdef0-dirty")
        XCTAssertEqual(record.compute.threads, 2)
        XCTAssertEqual(record.compute.blasCoreType, "Haswell")
        XCTAssertEqual(record.compute.blasCoreTypeVariable, "Haswell")
        XCTAssertEqual(record.compute.oneDNNISA, "cpu_isa_avx2")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let written = String(decoding: try encoder.encode(metadata), as: UTF8.self)
        XCTAssertEqual(try ModelMetadata.parse(written, file: file), metadata)
        let bad = text.replacingOccurrences(of: "\"threads\": 2", with: "\"threads\": 0")
        XCTAssertThrowsError(try ModelMetadata.parse(bad, file: file)) {
            XCTAssertTrue("\($0)".contains("/reproducibility/compute/threads"), "\($0)")
        }
    }

    /// The bccd-cells sample with `old` replaced by `new`, parsed; the error as printed.
    func error(replacing old: String, with new: String, file: String = "m/metadata.json",
               line: UInt = #line) throws -> String {
        let text = try Self.fixtureText()
        XCTAssertTrue(text.contains(old), "sample lacks \(old)", line: line)
        do {
            _ = try ModelMetadata.parse(text.replacingOccurrences(of: old, with: new),
                                        file: file)
            return "no error"
        } catch {
            let message = "\(error)"
            for foreign in ["DecodingError", "Debug description", "Error Domain"] {
                XCTAssertFalse(message.contains(foreign), message, line: line)
            }
            XCTAssertFalse(message.contains("\n"), message, line: line)
            return message
        }
    }

    func testInvalidFieldsNameFilePositionAndPointer() throws {
        let cases: [(String, String, String)] = [
            ("\"channels\" : 3", "\"channels\" : 2",
             "m/metadata.json:12:18 /input/channels expected 1 or 3, got 2"),
            ("\"batchSize\" : 16", "\"batchSize\" : \"16\"",
             "m/metadata.json:31:19 /training/batchSize expected a positive whole number, "
             + "got \"16\""),
            ("\"batchSize\" : 16", "\"batchSize\" : null",
             "m/metadata.json:31:19 /training/batchSize expected a positive whole number, "
             + "got null"),
            ("\"width\" : 64", "\"width\" : -64",
             "m/metadata.json:19:15 /input/width expected a whole number from 4 to 4096, "
             + "got -64"),
            ("\"height\" : 64", "\"height\" : 0",
             "m/metadata.json:13:16 /input/height expected a whole number from 4 to 4096, "
             + "got 0"),
            ("\"kernelSize\" : 3", "\"kernelSize\" : 0",
             "m/metadata.json:40:22 /training/model/kernelSize expected a positive whole "
             + "number, got 0"),
            ("\"trainCases\" : 1014", "\"trainCases\" : -1",
             "m/metadata.json:53:20 /trainingData/trainCases expected a whole number >= 0, "
             + "got -1"),
            ("\"architecture\" : \"P4CNN\"", "\"architecture\" : \"ResNet\"",
             "m/metadata.json:2:20 /architecture expected one of \"P4CNN\", "
             + "\"EquivariantUNet\", \"DiscreteCanonicalizer\", got \"ResNet\""),
            ("\"architecture\" : \"P4CNN\"", "\"architecture\" : \"EquivariantUNet\"",
             "m/metadata.json:2:20 /architecture expected \"P4CNN\" for a classification "
             + "model, got \"EquivariantUNet\""),
            ("\"file\" : \"weights.safetensors\",", "",
             "m/metadata.json:72:15 /weights/file missing required key"),
            ("\"file\" : \"weights.safetensors\"", "\"file\" : \"\"",
             "m/metadata.json:73:14 /weights/file expected a non-empty string, got \"\""),
            ("\"file\" : \"weights.safetensors\"", "\"file\" : \"../weights.safetensors\"",
             "m/metadata.json:73:14 /weights/file expected a file name inside the package "
             + "folder (no folders, not starting with '.'), got \"../weights.safetensors\""),
            ("\"sha256\" : \"106a43f00fe6", "\"sha256\" : \"106A43F00fe6",
             "m/metadata.json:74:16 /weights/sha256 expected a SHA-256 of 64 lower-case hex "
             + "digits, got \"106A43F00fe65e31d4f2ead23beebae72bca6ac6bcc49a6a2bcbb6d2..."),
            ("\"sha256\" : \"106a43f00fe6", "\"sha256\" : \"06a43f00fe6",
             "m/metadata.json:74:16 /weights/sha256 expected a SHA-256 of 64 lower-case hex "
             + "digits, got \"06a43f00fe65e31d4f2ead23beebae72bca6ac6bcc49a6a2bcbb6d2d..."),
            ("[\n    \"RBC\",\n    \"WBC\",\n    \"Platelets\"\n  ]", "[]",
             "m/metadata.json:3:15 /classes expected a non-empty list of class names, got []"),
            ("\"WBC\",", "\"RBC\",", "m/metadata.json:5:5 /classes/1 duplicate class name \"RBC\""),
            ("\"group\" : \"D4\",\n  \"input\"", "\"group\" : \"C8\",\n  \"input\"",
             "m/metadata.json:10:13 /group expected one of \"C4\", \"D4\", got \"C8\""),
            ("\"task\" : \"classification\"", "\"task\" : \"detection\"",
             "m/metadata.json:23:12 /task expected one of \"classification\", "
             + "\"segmentation\", \"orientation\", got \"detection\""),
            ("\"formatVersion\" : 1", "\"formatVersion\" : 2",
             "m/metadata.json:9:21 /formatVersion expected 1 (the metadata format this "
             + "version of EquiScan reads), got 2"),
            ("\"notice\"", "\"notices\"",
             "m/metadata.json:22:3 /notices unknown key (did you mean \"notice\"?)"),
            ("\"kind\" : \"window\"", "\"kind\" : \"sigmoid\"",
             "m/metadata.json:16:16 /input/normalization/kind expected one of \"none\", "
             + "\"minMax\", \"zScore\", \"percentile\", \"window\", got \"sigmoid\""),
            ("\"stoppedEarly\" : false", "\"stoppedEarly\" : 0",
             "m/metadata.json:47:22 /training/stoppedEarly expected true or false, got 0"),
            ("\"accuracy\" : 0.9904534606205251", "\"accuracy\" : \"high\"",
             "m/metadata.json:65:18 /validationMetrics/accuracy expected a number, got "
             + "\"high\""),
            ("c4\"\n  }", "c4\",\n  }",
             "m/metadata.json:74:82 /weights trailing comma before '}'"),
        ]
        for (old, new, expected) in cases {
            XCTAssertEqual(try error(replacing: old, with: new), expected, "setting \(new)")
        }
    }

    func testPackageLoadReportsTheMetadataPath() throws {
        let folder = temporaryFolder(prefix: "equiscan-metadata")
        let bad = try Self.fixtureText()
            .replacingOccurrences(of: "\"channels\" : 3", with: "\"channels\" : 2")
        let file = (folder as NSString).appendingPathComponent("metadata.json")
        try bad.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelPackage.load(folder)) { error in
            XCTAssertEqual("\(error)", "\(file):12:18 /input/channels expected 1 or 3, got 2")
        }
        try Data([0x7B, 0xC3, 0x28, 0x7D]).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try ModelPackage.load(folder)) { error in
            XCTAssertEqual("\(error)", "\(file): metadata.json is not UTF-8 text")
        }
    }
}
