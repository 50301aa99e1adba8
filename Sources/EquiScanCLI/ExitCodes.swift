import ArgumentParser
import Canonicalization
import ImageCodecs
import SafeFiles

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses of `equiscan`, following sysexits(3).
enum ExitStatus: Int32, CaseIterable {
    /// Everything asked for was done.
    case success = 0
    /// The run finished but some cases (files, pipeline items) failed.
    case someCasesFailed = 2
    /// The command line is wrong (EX_USAGE).
    case usage = 64
    /// An input file, pipeline or configuration is invalid (EX_DATAERR).
    case dataError = 65
    /// An input file does not exist or cannot be read (EX_NOINPUT).
    case noInput = 66
    /// Interrupted or a temporary failure; running again may succeed (EX_TEMPFAIL).
    case temporaryFailure = 75
}

/// An error that knows how the CLI reports it. Library errors get their conformance here, in
/// one place, so commands only ever `throw`.
protocol CLIReportable: Error {
    /// Exit status of a run that ends with this error.
    var exitStatus: ExitStatus { get }
    /// The one-line message printed after `equiscan: ` on stderr.
    var cliMessage: String { get }
}

/// A failure a command detected itself, with the message to print and the status to exit with.
struct CommandFailure: CLIReportable {
    var exitStatus: ExitStatus
    var cliMessage: String

    init(_ status: ExitStatus, _ message: String) {
        self.exitStatus = status
        self.cliMessage = message
    }
}

/// Ends a run whose output (and per-item messages) were already printed, with `status` only.
struct SilentExit: Error {
    var status: ExitStatus
}

extension CodecError: CLIReportable {
    var exitStatus: ExitStatus { kind == .io ? .noInput : .dataError }
    var cliMessage: String { description }
}

extension SafeFileError: CLIReportable {
    var exitStatus: ExitStatus {
        switch kind {
        case .io: return .temporaryFailure
        case .wouldOverwriteInput, .invalidDestination, .outputCollision: return .usage
        }
    }
    var cliMessage: String { description }
}

extension EncodeError: CLIReportable {
    var exitStatus: ExitStatus { .dataError }
    var cliMessage: String { description }
}

/// The single place that turns errors into messages and exit statuses.
enum ErrorReporter {
    /// Status and message for `error`, or nil when swift-argument-parser should report it
    /// (help requests, usage and validation errors, explicit `ExitCode`s).
    static func classify(_ error: Error) -> (status: ExitStatus, message: String?)? {
        switch error {
        case let silent as SilentExit:
            return (silent.status, nil)
        case let reportable as CLIReportable:
            return (reportable.exitStatus, reportable.cliMessage)
        case is CancellationError:
            return (.temporaryFailure, "interrupted")
        case is ExitCode, is CleanExit, is ValidationError:
            return nil
        default:
            // swift-argument-parser maps its own parse errors to EX_USAGE and everything it
            // does not know to EXIT_FAILURE; those unknown ones are ours to report.
            if EquiScan.exitCode(for: error).rawValue != EXIT_FAILURE {
                return nil
            }
            return (.dataError, String(describing: error))
        }
    }

    /// The one-line message for an error of one case in a batch.
    static func message(for error: Error) -> String {
        classify(error)?.message ?? "internal error: \(type(of: error))"
    }

    /// The status of a batch of `cases` that ended with `failures` (one per failed case): nil
    /// when all succeeded, 2 when some did, else the status of the first failure (65 or 66).
    static func batchStatus(cases: Int, failures: [Error]) -> ExitStatus? {
        guard let first = failures.first else { return nil }
        if failures.count < cases { return .someCasesFailed }
        return classify(first)?.status ?? .dataError
    }

    /// The exit status a run ending with `error` has.
    static func exitStatus(for error: Error) -> Int32 {
        classify(error)?.status.rawValue ?? EquiScan.exitCode(for: error).rawValue
    }

    /// Prints a failure line to stderr: `equiscan: <message>`.
    static func printError(_ message: String) {
        var line = "equiscan: " + message + "\n"
        line.withUTF8 { buffer in
            _ = fwrite(buffer.baseAddress, 1, buffer.count, stderr)
        }
        fflush(stderr)
    }

    /// Parses the command line, runs the command and exits with the status its outcome maps
    /// to. The only caller is `EquiScan.main()`.
    static func runAndExit() -> Never {
        do {
            var command = try EquiScan.parseAsRoot()
            try command.run()
            fflush(stdout)
            exit(ExitStatus.success.rawValue)
        } catch {
            fflush(stdout)
            guard let (status, message) = classify(error) else {
                EquiScan.exit(withError: error)
            }
            if let message {
                printError(message)
            }
            exit(status.rawValue)
        }
    }
}

extension CanonicalizationError: CLIReportable {
    var exitStatus: ExitStatus { .dataError }
    var cliMessage: String { description }
}
