import Foundation
import ImageCodecs
import Reports
import XCTest
import _TestSupport

/// The orbit check of a real segmenter, against an independent computation: the Dice it
/// records for each quarter turn is the Dice between the untransformed mask and the mask of
/// an ordinary run on the turned scan, turned back, all turns done by plain loops here.
final class OrbitCheckRunTests: XCTestCase {
    /// A pipeline that crops the middle 128 × 128 of a scan (padded evenly to the membrane
    /// model's 256 × 256 window, so one window) and segments it; the crop of a turned
    /// 512 × 512 scan is the turned crop.
    func writePipeline(_ path: String, orbit: Bool) throws {
        let model = CLIRunner.packageRoot.path + "/samples/models/em-membranes"
        let report = orbit ? #", "report": {"orbitCheck": true, "orbitMinDice": 0.5}"# : ""
        try """
            {"version": 1, "name": "orbit", "stages": [
                {"op": "LoadImage", "colour": "gray"},
                {"op": "CenterSpatialCrop", "roi_size": [128, 128]},
                {"op": "Segment", "model": "\(model)"},
                {"op": "AsDiscrete", "argmax": true},
                {"op": "SaveImage", "what": "mask"}
            ]\(report)}
            """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A square plane turned a quarter counter-clockwise: out[i][j] = in[j][n − 1 − i].
    func quarterTurn<T>(_ plane: [T], side n: Int) -> [T] {
        var out = plane
        for i in 0..<n {
            for j in 0..<n { out[i * n + j] = plane[j * n + (n - 1 - i)] }
        }
        return out
    }

    func turned<T>(_ plane: [T], side: Int, quarterTurns: Int) -> [T] {
        var out = plane
        for _ in 0..<((quarterTurns % 4 + 4) % 4) { out = quarterTurn(out, side: side) }
        return out
    }

    /// 8-bit samples of a gray PNG.
    func bytes(_ path: String) throws -> (side: Int, values: [UInt8]) {
        let scan = try ImageDecoder.decode(path: path)
        guard case .uint8(let values) = scan.samples, scan.width == scan.height,
              scan.channels == 1 else {
            XCTFail("\(path): expected a square 8-bit gray image")
            return (0, [])
        }
        return (scan.width, values)
    }

    func testSegmenterOrbitDiceMatchesRunsOnTurnedScans() throws {
        let folder = temporaryFolder()
        let (side, pixels) = try bytes(CLIRunner.packageRoot.path + "/samples/em/00.png")
        XCTAssertEqual(side, 512)
        try FileManager.default.createDirectory(atPath: folder + "/in",
                                                withIntermediateDirectories: true)
        for k in 0..<4 {
            let scan = Scan(width: side, height: side, channels: 1,
                            samples: .uint8(turned(pixels, side: side, quarterTurns: k)),
                            metadata: ScanMetadata(format: .png, colorModel: .minIsBlack,
                                                   bitsPerSample: 8))
            try Data(try ImageEncoder.encodePNG(scan)).write(
                to: URL(fileURLWithPath: folder + "/in/t\(k).png"))
        }
        try writePipeline(folder + "/orbit.json", orbit: true)
        try writePipeline(folder + "/plain.json", orbit: false)
        let checked = try CLIRunner.run(["run", "-p", folder + "/orbit.json", "-i",
                                         folder + "/in/t0.png", "-o", folder + "/orbit"])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        let plain = try CLIRunner.run(["run", "-p", folder + "/plain.json", "-i", folder + "/in",
                                       "-o", folder + "/plain"])
        XCTAssertEqual(plain.status, 0, plain.stderr)

        let record = try XCTUnwrap(try caseRecords(folder + "/orbit")["t0"])
        let stage = try XCTUnwrap(record.orbit?.stages.first)
        XCTAssertEqual(stage.stage, "2 Segment")
        XCTAssertEqual(stage.group, "D4")
        XCTAssertEqual(stage.dice?["r0"], 1)
        let identity = try bytes(folder + "/plain/t0_mask.png")
        XCTAssertEqual(identity.side, 128)
        var lowest = 1.0
        for k in 1..<4 {
            let mask = try bytes(folder + "/plain/t\(k)_mask.png")
            let back = turned(mask.values, side: mask.side, quarterTurns: -k)
            // Dice of label 1 (membrane); label 0 is background.
            let inA = identity.values.filter { $0 == 1 }.count
            let inB = back.filter { $0 == 1 }.count
            let both = zip(identity.values, back).filter { $0 == 1 && $1 == 1 }.count
            let dice = inA + inB == 0 ? 1 : 2 * Double(both) / Double(inA + inB)
            lowest = min(lowest, dice)
            // Tolerance: the same model on the same pixels gives the same masks; only the
            // Dice's own arithmetic may round differently.
            XCTAssertEqual(stage.dice?["r\(k)"] ?? -1, dice, accuracy: 1e-12, "r\(k)")
        }
        XCTAssertEqual(stage.minDice ?? -1, lowest, accuracy: 1e-12)
        XCTAssertEqual(stage.consistent, lowest >= 0.5)
        XCTAssertEqual(record.orbit?.consistent, stage.consistent)
        let rows = CSVReader.rows(try report(folder + "/orbit", "predictions.csv"))
        XCTAssertEqual(rows.first?.suffix(3), ["orbitConsistent", "orbitProbabilitySpread",
                                               "orbitMinDice"])
        XCTAssertEqual(Double(rows[1].last ?? "") ?? -1, lowest, accuracy: 5e-7)
    }
}
