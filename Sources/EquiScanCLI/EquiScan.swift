import ArgumentParser
import SafeFiles

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `equiscan` command: parses arguments and hands work to the libraries.
@main
struct EquiScan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "equiscan",
        abstract: "Analyse medical scans with rotation-equivariant neural networks.",
        version: Version.text,
        subcommands: [InspectCommand.self, ConvertCommand.self, TrainCommand.self,
                      EvaluateCommand.self, CanonicalizeCommand.self, ValidateCommand.self,
                      RunCommand.self, WatchCommand.self, StatusCommand.self,
                      ReportCommand.self, MergeCommand.self,
                      BenchCommand.self])

    /// Runs the command; errors become messages and sysexits codes in `ErrorReporter`.
    static func main() {
        // SIGINT/SIGTERM: SafeFiles removes the temporary files in flight, then the process
        // ends with 75 (interrupted; files already completed stay). `watch` sets a graceful
        // stop for the first signal (InterruptHandling.setGracefulStop).
        InterruptHandling.install { signalNumber in
            let name = signalNumber == SIGINT ? "SIGINT" : "SIGTERM"
            ErrorReporter.printError("interrupted by \(name); completed files were kept, "
                                     + "partial ones removed")
            StandardStreams.flushOutput()
            _exit(ExitStatus.temporaryFailure.rawValue)
        }
        ErrorReporter.runAndExit()
    }
}
