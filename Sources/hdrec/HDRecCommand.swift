// The offline tool: data preparation, SASRec, HDRec training, evaluation,
// export, and model utilities. Each subcommand lives in its own file and is thin:
// the work is in the library modules.
import ArgumentParser

@main
struct HDRecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hdrec",
        abstract: "HDRec offline tool: prepare data, train SASRec and HDRec, evaluate, export, and inspect models.",
        subcommands: [
            // Model utilities (engine)
            InspectCommand.self, TokenizeCommand.self, QuantizeCommand.self,
            GenerateCommand.self, LogitsCommand.self, BenchCommand.self, KernelBenchCommand.self,
            // Recommendation data and baselines
            PrepareCommand.self, SASRecCommand.self, PopularityCommand.self, CompareCommand.self,
            // HDRec
            TrainCommand.self, EvaluateCommand.self, RecommendCommand.self, ExportCommand.self, TrainBenchCommand.self,
            PassScoresCommand.self,
            // Data-parallel training
            MPICheckCommand.self,
        ]
    )
}
