import Foundation
import ImageCodecs
import XCTest
import _TestSupport

/// `equiscan evaluate` with the bccd-cells sample model (8-bit RGB, window 0–255): RGBA crops
/// are converted and the conversion is reported once on stderr; gray crops are refused.
final class EvaluateInputCheckTests: XCTestCase {
    static let model = CLIRunner.packageRoot.appendingPathComponent("samples/models/bccd-cells")
        .path

    /// Two seeded 64×64 crops of `channels` 8-bit samples in `folder/RBC`.
    func writeCrops(_ folder: String, _ colorModel: ColorModel, channels: Int) throws {
        try FileManager.default.createDirectory(atPath: folder + "/RBC",
                                                withIntermediateDirectories: true)
        var state: UInt64 = 2024
        for i in 0..<2 {
            let samples = (0..<(64 * 64 * channels)).map { _ -> UInt8 in
                // A linear congruential step is enough for test pixels.
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            let scan = Scan(width: 64, height: 64, channels: channels, samples: .uint8(samples),
                            metadata: ScanMetadata(format: .png, colorModel: colorModel,
                                                   bitsPerSample: 8))
            try ImageEncoder.write(scan, to: "\(folder)/RBC/\(i).png", format: .png)
        }
    }

    func testRGBACropsAreConvertedAndReportedOnce() throws {
        let data = temporaryFolder() + "/cells"
        try writeCrops(data, .rgba, channels: 4)
        let result = try CLIRunner.run(["evaluate", Self.model, data, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)))
        XCTAssertEqual(result.stderr, "equiscan: converted for model bccd-cells: 8-bit RGBA "
                       + "scans: alpha channel dropped (2 scans, first \(data)/RBC/0.png)\n")
    }

    func testGrayCropsAreRefusedNamingBothSpecs() throws {
        let data = temporaryFolder() + "/cells"
        try writeCrops(data, .minIsBlack, channels: 1)
        let result = try CLIRunner.run(["evaluate", Self.model, data])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("\(data)/RBC/0.png: 8-bit gray scan, but model "
                                             + "bccd-cells expects 8-bit RGB (window 0–255)"),
                      result.stderr)
    }
}
