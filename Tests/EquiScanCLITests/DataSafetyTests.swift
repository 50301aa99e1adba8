#if canImport(Glibc)
import Glibc
#endif
import Canonicalization
import Foundation
import ImageCodecs
import TensorCore
import XCTest
import _TestSupport

/// A user's files are never lost or mangled: no write over an input, no colliding outputs, no
/// temporary file left by a signal, verified models, multi-page TIFFs handled explicitly. Each
/// test runs the built binary in a temporary folder.
final class DataSafetyTests: XCTestCase {
    /// A seeded D4 canonicalizer as a bare weight file in `folder`.
    private func canonicalizer(in folder: String) throws -> String {
        let configuration = CanonicalizerConfiguration(
            group: .d4, preprocessing: ScorerPreprocessing(size: 32),
            network: ScoringNetworkConfiguration(fields: [4, 6, 4], poolingSteps: 2, seed: 5))
        let model = try DiscreteCanonicalizer(configuration: configuration)
        model.eval()
        let path = folder + "/model.safetensors"
        try model.save(weightsTo: URL(fileURLWithPath: path))
        return path
    }

    private func copySample(_ name: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLIRunner.sample(name), toPath: path)
    }

    /// A copy of the sample orientation package in `folder`; returns its path.
    private func copyOrientationPackage(into folder: String) throws -> String {
        try SampleOrientationPackage.copy(to: folder + "/orientation-d4")
    }

    private func bytes(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    private func temporaryNames(in folder: String) -> [String] {
        let names = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]
        return (names ?? []).filter { $0.contains(".tmp-") }
    }

    // MARK: 1. never over an input

    func testCanonicalizeIntoTheInputFolderIsRefusedBeforeWork() throws {
        let folder = temporaryFolder()
        let model = try canonicalizer(in: folder)
        let scan = folder + "/dir/scan.png"
        try copySample("mr_small_64.png", to: scan)
        let original = try bytes(scan)
        let result = try CLIRunner.run(["canonicalize", "-m", model, scan, "-o", folder + "/dir"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains(scan), result.stderr)
        XCTAssertEqual(result.stdout, "", "no work may start")
        XCTAssertEqual(try bytes(scan), original)

        // An output folder holding a symlink or a hard link to the input under its name.
        for kind in ["symlink", "hardlink"] {
            let out = folder + "/" + kind
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            if kind == "symlink" {
                try FileManager.default.createSymbolicLink(atPath: out + "/scan.png",
                                                           withDestinationPath: scan)
            } else {
                XCTAssertEqual(link(scan, out + "/scan.png"), 0)
            }
            let linked = try CLIRunner.run(["canonicalize", "-m", model, scan, "-o", out])
            XCTAssertEqual(linked.status, 64, "\(kind): \(linked.stderr)")
            XCTAssertEqual(try bytes(scan), original, kind)
        }
    }

    func testConvertOverItsOwnInputIsRefused() throws {
        let folder = temporaryFolder()
        let stack = folder + "/stack.tiff"
        try FileManager.default.copyItem(
            atPath: Fixtures.path("conformance/tiff/pillow/multipage-mmap.tiff"), toPath: stack)
        let original = try bytes(stack)
        try FileManager.default.createSymbolicLink(atPath: folder + "/alias.tiff",
                                                   withDestinationPath: stack)
        for target in [stack, folder + "/alias.tiff", folder + "/../" +
                       (folder as NSString).lastPathComponent + "/stack.tiff"] {
            let result = try CLIRunner.run(["convert", stack, target, "--page", "1"])
            XCTAssertEqual(result.status, 64, "\(target): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(stack), result.stderr)
            XCTAssertEqual(try bytes(stack), original)
        }
    }

    // MARK: 8. messages a user can act on

    func testFileAsOutputFolderAndNegativePixelSizeGetPlainMessages() throws {
        let folder = temporaryFolder()
        let model = try canonicalizer(in: folder)
        let scan = folder + "/scan.png"
        try copySample("mr_small_64.png", to: scan)
        let file = folder + "/existing.txt"
        try Data("notes".utf8).write(to: URL(fileURLWithPath: file))
        let asFolder = try CLIRunner.run(["canonicalize", "-m", model, scan, "-o", file])
        XCTAssertEqual(asFolder.status, 64, asFolder.stderr)
        XCTAssertEqual(asFolder.stderr, "equiscan: \(file): -o must name a folder, but a file "
                       + "is there\n")
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "notes")

        let negative = try CLIRunner.run(["convert", scan, folder + "/out.png",
                                          "--pixel-size", "-1"])
        XCTAssertEqual(negative.status, 64, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--pixel-size must be a positive number of mm, "
                                               + "got -1"), negative.stderr)
        XCTAssertFalse(negative.stderr.contains("Missing value"), negative.stderr)

        let compression = try CLIRunner.run(["convert", scan, folder + "/out.png",
                                             "--compression", "lzw"])
        XCTAssertEqual(compression.status, 64, compression.stderr)
        XCTAssertTrue(compression.stderr.contains("TIFF output only"), compression.stderr)
        let mismatch = try CLIRunner.run(["convert", scan, folder + "/out.png",
                                          "--format", "tiff"])
        XCTAssertEqual(mismatch.status, 64, mismatch.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out.png"))
    }

    // MARK: 2. outputs never collide

    func testCollidingNamesAreMirroredOrRefused() throws {
        let folder = temporaryFolder()
        let model = try canonicalizer(in: folder)
        try copySample("mr_small_64.png", to: folder + "/in/a/scan.png")
        try copySample("mr_small_64.png", to: folder + "/in/b/scan.png")
        try copySample("stardist_he_histo.jpg", to: folder + "/in/a/scan.jpg")
        let clash = try CLIRunner.run(["canonicalize", "-m", model, folder + "/in/a/scan.png",
                                       folder + "/in/b/scan.png", folder + "/in/a/scan.jpg",
                                       "-o", folder + "/out"])
        XCTAssertEqual(clash.status, 64, clash.stderr)
        XCTAssertTrue(clash.stderr.contains("in/a/scan.png")
                      && clash.stderr.contains("in/a/scan.jpg"), clash.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))

        let mirrored = try CLIRunner.run(["canonicalize", "-m", model,
                                          folder + "/in/a/scan.png", folder + "/in/b/scan.png",
                                          "-o", folder + "/out"])
        XCTAssertEqual(mirrored.status, 0, mirrored.stderr)
        for path in ["/out/a/scan.png", "/out/b/scan.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + path), path)
        }
    }

    // MARK: 4. verified models, no NaN poses

    func testDamagedModelsAreRefused() throws {
        let folder = temporaryFolder()
        let scan = folder + "/scan.png"
        try copySample("mr_small_64.png", to: scan)

        // A package whose weights lost their SHA-256 match (one flipped byte).
        let package = try copyOrientationPackage(into: folder)
        var weights = try bytes(package + "/weights.safetensors")
        weights[weights.count - 3] ^= 0x01
        try weights.write(to: URL(fileURLWithPath: package + "/weights.safetensors"))
        for model in [package, package + "/weights.safetensors"] {
            let result = try CLIRunner.run(["canonicalize", "-m", model, scan, "--json",
                                            "-o", folder + "/out"])
            XCTAssertEqual(result.status, 65, result.stderr)
            XCTAssertTrue(result.stderr.contains("SHA-256"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out/scan.png"))
        }

        // A bare weight file whose tensors are all 0xFF bytes (NaN).
        let bare = try canonicalizer(in: folder)
        var raw = try bytes(bare)
        let headerLength = raw.prefix(8).enumerated()
            .reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        for index in (8 + headerLength)..<raw.count { raw[index] = 0xFF }
        try raw.write(to: URL(fileURLWithPath: bare))
        let nan = try CLIRunner.run(["canonicalize", "-m", bare, scan, "--json",
                                     "-o", folder + "/out"])
        XCTAssertEqual(nan.status, 65, nan.stderr)
        XCTAssertTrue(nan.stderr.contains("NaN"), nan.stderr)
        XCTAssertFalse(nan.stdout.contains("nan"), nan.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out/scan.png"))
    }

    func testWeightFileInsideAPackageMustBeOneItNames() throws {
        let folder = temporaryFolder()
        let scan = folder + "/scan.png"
        try copySample("mr_small_64.png", to: scan)
        let package = try copyOrientationPackage(into: folder)
        let stray = try canonicalizer(in: package)
        let refused = try CLIRunner.run(["canonicalize", "-m", stray, scan])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("does not name it"), refused.stderr)
        let named = try CLIRunner.run(["canonicalize", "-m", package + "/weights.safetensors",
                                       scan])
        XCTAssertEqual(named.status, 0, named.stderr)
    }

    func testJSONOutputIsValidJSONWhenCasesFail() throws {
        let folder = temporaryFolder()
        let model = try canonicalizer(in: folder)
        let broken = folder + "/broken.png"
        try Data("not a scan".utf8).write(to: URL(fileURLWithPath: broken))
        let result = try CLIRunner.run(["canonicalize", "-m", model, broken,
                                        folder + "/missing.png", "--json"])
        XCTAssertEqual(result.status, 65, result.stderr)
        let objects = try CLIRunner.jsonArray(result)
        XCTAssertEqual(objects.count, 2)
        XCTAssertTrue(objects.allSatisfy { $0["error"] is String }, "\(objects)")
    }

    // MARK: 5. multi-page TIFFs

    func testMultiPageTIFFNeedsAPageWithOutput() throws {
        let folder = temporaryFolder()
        let model = try canonicalizer(in: folder)
        let stack = folder + "/stack.tiff"
        try FileManager.default.copyItem(
            atPath: Fixtures.path("conformance/tiff/pillow/multipage-mmap.tiff"), toPath: stack)
        let refused = try CLIRunner.run(["canonicalize", "-m", model, stack, "-o",
                                         folder + "/out"])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--page"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out/stack.tiff"))

        let chosen = try CLIRunner.run(["canonicalize", "-m", model, stack, "-o",
                                        folder + "/out", "--page", "2"])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        let written = try ImageDecoder.decode(path: folder + "/out/stack.tiff")
        XCTAssertEqual(written.metadata.pageCount, 1)
        XCTAssertEqual(written.width * written.height, 400, "page 2 is 20x20")
    }

    // MARK: 3. signals

    /// A 16-bit gray TIFF large enough that writing its copy takes a while.
    private func largeTIFF(in folder: String) throws -> String {
        let side = 4096
        var generator = SeededGenerator(seed: 11)
        let samples = (0..<(side * side)).map { _ in UInt16.random(in: 0...4095,
                                                                   using: &generator) }
        let scan = Scan(width: side, height: side, channels: 1, samples: .uint16(samples),
                        metadata: ScanMetadata(format: .tiff, colorModel: .minIsBlack,
                                               bitsPerSample: 16))
        let path = folder + "/large.tif"
        try ImageEncoder.write(scan, to: path, format: .tiff, tiffCompression: TIFFCompression.none)
        return path
    }

    /// Starts `convert` of `input` into `outputFolder` and sends `signal` once its temporary
    /// file is there; returns the exit status.
    private func convertAndSignal(_ input: String, into outputFolder: String,
                                  _ signalNumber: Int32) throws -> Int32 {
        let process = Process()
        process.executableURL = CLIRunner.productsDirectory.appendingPathComponent("equiscan")
        process.arguments = ["convert", input, outputFolder + "/copy.tif",
                             "--compression", "none"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var signalled = false
        while process.isRunning, Date() < deadline {
            if !temporaryNames(in: outputFolder).isEmpty {
                kill(process.processIdentifier, signalNumber)
                signalled = true
                break
            }
            usleep(500)
        }
        process.waitUntilExit()
        XCTAssertTrue(signalled, "the temporary file was never seen")
        return process.terminationStatus
    }

    func testInterruptRemovesTemporaryFilesAndExits75() throws {
        let folder = temporaryFolder()
        let input = try largeTIFF(in: folder)
        for signalNumber in [SIGINT, SIGTERM] {
            let out = folder + "/out-\(signalNumber)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let status = try convertAndSignal(input, into: out, signalNumber)
            XCTAssertEqual(status, 75, "signal \(signalNumber)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [],
                           "signal \(signalNumber) left files")
        }
    }

    func testStaleTemporaryFileOfAKilledRunIsRemovedByTheNextWrite() throws {
        let folder = temporaryFolder()
        let input = try largeTIFF(in: folder)
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        _ = try convertAndSignal(input, into: out, SIGKILL)
        let stale = temporaryNames(in: out)
        XCTAssertEqual(stale.count, 1, "a SIGKILL cannot be caught: its temporary file stays")
        // The sweep waits until a dead writer's file has been quiet for a while.
        for name in stale {
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: out + "/" + name)
        }
        let next = try CLIRunner.run(["convert", CLIRunner.sample("mr_small_64.png"),
                                      out + "/small.png"])
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["small.png"])
    }
}
