import ArgumentParser
@testable import EquiScanCLI
import Foundation
import ImageCodecs
import ModelRuntime
import SafeFiles
import StrictJSON
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
        XCTAssertEqual(ErrorReporter.classify(encode)?.status, .temporaryFailure,
                       "a write that failed on I/O may succeed when run again")
        XCTAssertEqual(ErrorReporter.classify(encode)?.message, encode.description)
        let unsupported = EncodeError(file: "o.png", format: .png, kind: .unsupported,
                                      message: "no")
        XCTAssertEqual(ErrorReporter.classify(unsupported)?.status, .dataError)
        let failure = CommandFailure(.someCasesFailed, "3 of 10 cases failed")
        XCTAssertEqual(ErrorReporter.classify(failure)?.status, .someCasesFailed)
        XCTAssertEqual(ErrorReporter.classify(failure)?.message, "3 of 10 cases failed")
        XCTAssertEqual(ErrorReporter.classify(CancellationError())?.status, .temporaryFailure)
        let silent = ErrorReporter.classify(SilentExit(status: .noInput))
        XCTAssertEqual(silent?.status, .noInput)
        XCTAssertNil(silent?.message ?? nil, "a silent exit prints nothing")
    }

    /// A missing config file is a missing input; a config that reads but is wrong is invalid
    /// data. The distinction is a property of the error, not of its wording.
    func testConfigAndDataErrors() {
        var unreadable = ConfigError(path: .root, message: "cannot read", file: "c.json")
        unreadable.isUnreadableFile = true
        XCTAssertEqual(ErrorReporter.classify(unreadable)?.status, .noInput)
        let invalid = ConfigError(path: .root, message: "cannot read the config file yet")
        XCTAssertEqual(ErrorReporter.classify(invalid)?.status, .dataError)
        XCTAssertEqual(ErrorReporter.classify(DataError(.missing, file: "d", "gone"))?.status,
                       .noInput)
        XCTAssertEqual(ErrorReporter.classify(DataError(.empty, file: "d", "empty"))?.status,
                       .dataError)
        let io = SafeFileError(.io, path: "o.json", "disk full")
        XCTAssertEqual(ErrorReporter.classify(io)?.status, .temporaryFailure)
    }

    /// Foundation file errors are told in our words: the path and what to do, no domain.
    func testCocoaErrorsNameThePathOnly() throws {
        let missing = CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "/x/y"])
        let reported = try XCTUnwrap(ErrorReporter.classify(missing))
        XCTAssertEqual(reported.status, .noInput)
        XCTAssertEqual(reported.message, "/x/y: no such file or folder; check the path")
        let denied = CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: "/out"])
        XCTAssertEqual(ErrorReporter.classify(denied)?.status, .temporaryFailure)
    }

    /// Parser errors stay with swift-argument-parser (usage text, EX_USAGE); unknown errors
    /// are reported as internal errors, without their Swift description.
    func testParserAndUnknownErrors() throws {
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
        let unknown = ErrorReporter.classify(Unknown(), command: "evaluate")
        XCTAssertEqual(unknown?.status, .dataError)
        XCTAssertEqual(unknown?.message, "internal error in equiscan evaluate: please report "
                       + "it with the command line that caused it")
        let decoding = DecodingError.typeMismatch(
            Int.self, .init(codingPath: [], debugDescription: "Expected Int"))
        let message = try XCTUnwrap(ErrorReporter.classify(decoding)?.message ?? nil)
        XCTAssertFalse(message.contains("DecodingError") || message.contains("Expected"),
                       message)
    }

    func testMessagesAreOneLine() {
        let failure = CommandFailure(.dataError, "first\nsecond")
        XCTAssertEqual(ErrorReporter.classify(failure)?.message, "first second")
    }
}
