import ArgumentParser

/// `equiscan bench …`: speed measurements that print JSON. Never run by the tests.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure decode, hash, kernel, model, pipeline and watch speed (use a release "
            + "build).",
        subcommands: [BenchConvCommand.self, BenchDecodeCommand.self,
                      BenchModelsCommand.self, BenchCanonicalizeCommand.self,
                      BenchHashCommand.self, BenchPipelineCommand.self,
                      BenchWatchCommand.self, BenchOrientationErrorsCommand.self])
}
