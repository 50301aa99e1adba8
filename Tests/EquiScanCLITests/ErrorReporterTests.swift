import ArgumentParser
@testable import EquiScanCLI
import ImageCodecs
import XCTest

/// The single error → (message, exit status) mapping of the CLI.
final class ErrorReporterTests: XCTestCase {
    private struct Unknown: Error, CustomStringConvertible {
        var description: String { "something odd" }
    }

    func testSysexitsValues() {
        let values = ExitStatus.allCases.map(\.rawValue)
        XCTAssertEqual(values, [0, 2, 64, 65, 66, 75])
    }

    func testCodecErrors() throws {
        let missing = CodecError(file: "a.png", codec: nil, kind: .io, message: "cannot open")
        let io = try XCTUnwrap(ErrorReporter.classify(missing))
        XCTAssertEqual(io.status, .noInput)
        XCTAssertEqual(io.message, missing.description)
        for kind in CodecError.Kind.allCases where kind != .io {
            let error = CodecError(file: "a.png", codec: .png, kind: kind, message: "m")
            XCTAssertEqual(ErrorReporter.classify(error)?.status, .dataError, kind.rawValue)
        }
    }

    func testEncodeCommandAndCancellationErrors() {
        let encode = EncodeError(file: "o.png", format: .png, kind: .io, message: "disk full")
        XCTAssertEqual(ErrorReporter.classify(encode)?.status, .dataError)
        XCTAssertEqual(ErrorReporter.classify(encode)?.message, encode.description)
        let failure = CommandFailure(.someCasesFailed, "3 of 10 cases failed")
        XCTAssertEqual(ErrorReporter.classify(failure)?.status, .someCasesFailed)
        XCTAssertEqual(ErrorReporter.classify(failure)?.message, "3 of 10 cases failed")
        XCTAssertEqual(ErrorReporter.classify(CancellationError())?.status, .temporaryFailure)
        let silent = ErrorReporter.classify(SilentExit(status: .noInput))
        XCTAssertEqual(silent?.status, .noInput)
        XCTAssertNil(silent?.message ?? nil, "a silent exit prints nothing")
    }

    /// Parser errors stay with swift-argument-parser (usage text, EX_USAGE); unknown errors
    /// are reported as data errors with their description.
    func testParserAndUnknownErrors() {
        XCTAssertNil(ErrorReporter.classify(ValidationError("bad")))
        XCTAssertNil(ErrorReporter.classify(ExitCode(3)))
        XCTAssertEqual(ErrorReporter.exitStatus(for: ValidationError("bad")), 64)
        XCTAssertEqual(ErrorReporter.exitStatus(for: ExitCode(3)), 3)
        do {
            _ = try EquiScan.parseAsRoot(["inspect", "--no-such-flag", "x"])
            XCTFail("parsing must fail")
        } catch {
            XCTAssertNil(ErrorReporter.classify(error), "\(error)")
            XCTAssertEqual(ErrorReporter.exitStatus(for: error), 64)
        }
        let unknown = ErrorReporter.classify(Unknown())
        XCTAssertEqual(unknown?.status, .dataError)
        XCTAssertEqual(unknown?.message, "something odd")
    }
}
