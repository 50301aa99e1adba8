import ArgumentParser

/// The `equiscan` command: parses arguments and hands work to the libraries.
@main
struct EquiScan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "equiscan",
        abstract: "Analyse medical scans with rotation-equivariant neural networks.",
        version: Version.text,
        subcommands: [InspectCommand.self, ConvertCommand.self, TrainCommand.self,
                      EvaluateCommand.self, CanonicalizeCommand.self, BenchCommand.self])

    /// Runs the command; errors become messages and sysexits codes in `ErrorReporter`.
    static func main() {
        ErrorReporter.runAndExit()
    }
}
