import ArgumentParser
import Canonicalization
import Equivariance
import Foundation
import ImageCodecs
import ModelRuntime
import NeuralNet
import PipelineEngine
import SafeFiles
import StrictJSON

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

extension CLIReportable where Self: CustomStringConvertible {
    /// Library errors describe themselves as `file: what is wrong`, one line.
    var cliMessage: String { description }
}

// MARK: - How each library error is reported (the only place that decides)

extension CodecError: CLIReportable {
    var exitStatus: ExitStatus { kind == .io ? .noInput : .dataError }
}

extension SafeFileError: CLIReportable {
    var exitStatus: ExitStatus {
        switch kind {
        case .io: return .temporaryFailure
        case .wouldOverwriteInput, .invalidDestination, .outputCollision: return .usage
        }
    }
}

extension EncodeError: CLIReportable {
    /// A write that failed on I/O (disk full, folder gone) may succeed when run again.
    var exitStatus: ExitStatus { kind == .io ? .temporaryFailure : .dataError }
}

extension CanonicalizationError: CLIReportable {
    var exitStatus: ExitStatus { .dataError }
}

extension EquivarianceError: CLIReportable {
    var exitStatus: ExitStatus { .dataError }
}

extension SafeTensorsError: CLIReportable {
    var exitStatus: ExitStatus { code == .io ? .noInput : .dataError }
}

extension ConfigError: CLIReportable {
    var exitStatus: ExitStatus { isUnreadableFile ? .noInput : .dataError }
}

extension DataError: CLIReportable {
    var exitStatus: ExitStatus { kind == .missing ? .noInput : .dataError }
}

extension CocoaError: CLIReportable {
    /// Foundation file errors (creating an output folder, listing a folder) in our words:
    /// the path, what failed, and no Foundation domain or code.
    var exitStatus: ExitStatus {
        switch code {
        case .fileNoSuchFile, .fileReadNoSuchFile, .fileReadNoPermission,
             .fileReadInvalidFileName:
            return .noInput
        default:
            return .temporaryFailure
        }
    }

    var cliMessage: String {
        let path = filePath ?? url?.path ?? "a file"
        switch code {
        case .fileNoSuchFile, .fileReadNoSuchFile:
            return "\(path): no such file or folder; check the path"
        case .fileReadNoPermission, .fileWriteNoPermission:
            return "\(path): permission denied; check the file's permissions"
        case .fileWriteOutOfSpace:
            return "\(path): no space left on the device; free some space and run again"
        case .fileWriteFileExists:
            return "\(path): a file of that name is in the way; move it or choose another path"
        default:
            return "\(path): the file system refused the operation; check the path and run again"
        }
    }
}

/// The single place that turns errors into messages and exit statuses.
enum ErrorReporter {
    /// Status and message for `error`, or nil when swift-argument-parser should report it
    /// (help requests, usage and validation errors, explicit `ExitCode`s). `command` names
    /// the subcommand in the message of an error none of our libraries describes.
    static func classify(_ error: Error, command: String? = nil)
        -> (status: ExitStatus, message: String?)? {
        switch error {
        case let silent as SilentExit:
            return (silent.status, nil)
        case let reportable as CLIReportable:
            return (reportable.exitStatus, oneLine(reportable.cliMessage))
        case is CancellationError:
            return (.temporaryFailure, "interrupted; run the command again to finish")
        case is ExitCode, is CleanExit, is ValidationError:
            return nil
        default:
            // swift-argument-parser maps its own parse errors to EX_USAGE and everything it
            // does not know to EXIT_FAILURE; those unknown ones are ours to report, without
            // their Swift or Foundation description (which names types, not files).
            if EquiScan.exitCode(for: error).rawValue != EXIT_FAILURE {
                return nil
            }
            return (.dataError, internalErrorMessage(command: command))
        }
    }

    /// The message of an error no library of ours describes.
    static func internalErrorMessage(command: String?) -> String {
        let name = command.map { "equiscan \($0)" } ?? "equiscan"
        return "internal error in \(name): please report it with the command line that "
            + "caused it"
    }

    /// `text` on one line: a message never spans lines on the terminal.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Status and message for one failed case of a command that goes on with the others.
    static func caseFailure(_ error: Error, command: String) -> (status: ExitStatus,
                                                                 message: String) {
        let classified = classify(error, command: command)
        return (classified?.status ?? .dataError,
                classified?.message ?? internalErrorMessage(command: command))
    }

    /// The status of a batch of `cases` whose failed cases ended with `failures` (their
    /// statuses): nil when all succeeded; 2 when some did; when none did, 66 if every case was
    /// missing or unreadable, else 65.
    static func batchStatus(cases: Int, failures: [ExitStatus]) -> ExitStatus? {
        guard !failures.isEmpty else { return nil }
        if failures.count < cases { return .someCasesFailed }
        return failures.allSatisfy { $0 == .noInput } ? .noInput : .dataError
    }

    /// The exit status a run ending with `error` has.
    static func exitStatus(for error: Error) -> Int32 {
        classify(error)?.status.rawValue ?? EquiScan.exitCode(for: error).rawValue
    }

    /// Refuses `help NAME…` when NAME is not a command: swift-argument-parser would print the
    /// nearest known command's help and exit 0, which hides the typo.
    static func checkHelpTopic(_ arguments: [String]) throws {
        guard arguments.first == "help" else { return }
        var command: ParsableCommand.Type = EquiScan.self
        var path = "equiscan"
        for topic in arguments.dropFirst() where !topic.hasPrefix("-") {
            let next = command.configuration.subcommands.first {
                $0.configuration.commandName == topic
            }
            guard let next else {
                throw CommandFailure(.usage, "'\(topic)' is not a command of \(path); run "
                                     + "'\(path) --help' for the list")
            }
            command = next
            path += " " + topic
        }
    }

    /// Prints a failure line to stderr: `equiscan: <message>`.
    static func printError(_ message: String) {
        StandardStreams.writeError("equiscan: " + message + "\n")
    }

    /// Parses the command line, runs the command and exits with the status its outcome maps
    /// to. The only caller is `EquiScan.main()`.
    static func runAndExit() -> Never {
        var name: String?
        do {
            try checkHelpTopic(Array(CommandLine.arguments.dropFirst()))
            var command = try EquiScan.parseAsRoot()
            name = type(of: command).configuration.commandName
            try command.run()
            StandardStreams.flushOutput()
            exit(ExitStatus.success.rawValue)
        } catch {
            StandardStreams.flushOutput()
            guard let (status, message) = classify(error, command: name) else {
                EquiScan.exit(withError: error)
            }
            if let message {
                printError(message)
            }
            exit(status.rawValue)
        }
    }
}

extension RunError: CLIReportable {
    var exitStatus: ExitStatus {
        switch kind {
        case .noInput: return .noInput
        case .usage: return .usage
        case .io: return .temporaryFailure
        }
    }
}

extension MergeError: CLIReportable {
    var exitStatus: ExitStatus {
        switch kind {
        case .missing: return .noInput
        case .conflict: return .dataError
        case .usage: return .usage
        }
    }
}

extension ReportError: CLIReportable {
    var exitStatus: ExitStatus {
        switch kind {
        case .missing: return .noInput
        case .invalid: return .dataError
        }
    }
}

extension ShardError: CLIReportable {
    var exitStatus: ExitStatus { .usage }
}

extension LedgerError: CLIReportable {
    var exitStatus: ExitStatus {
        switch kind {
        case .unreadable, .newerFormat: return .dataError
        case .busy, .io: return .temporaryFailure
        }
    }
}

extension WatchError: CLIReportable {
    var exitStatus: ExitStatus {
        switch kind {
        case .busy, .io: return .temporaryFailure
        case .noInput: return .noInput
        }
    }
}
