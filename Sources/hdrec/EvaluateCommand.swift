// `hdrec evaluate --run RUN_DIR`: full-ranking evaluation of a trained run as it would
// be served (the GGUF base cut to the run's layers, trained norms, both adapters,
// the server's fusion), writing metrics.json and ranks.tsv in the harness's format.
// The work is in Training.RunEvaluation.
import ArgumentParser
import Foundation
import Recommender
import RecSys
import Training

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained HDRec run (best checkpoint) with full ranking; write metrics.json and ranks.tsv.",
        discussion: """
        Scores through the served model (HDRecModel over the base GGUF, first L layers, trained norms) and the \
        server's fusion code. --users N evaluates the reproducible sample of the run's own final evaluation \
        (hdrec train --eval-users N), so its ranks.tsv pairs with the run's and, over those users, with a \
        full-data ranks.tsv such as SASRec's in `hdrec compare`.
        """)

    @Option(help: "A training run directory (hdrec train --out).") var run: String
    @Option(help: "valid or test (default: both).") var split: String?
    @Option(help: "α of Eq. 17 in [0, 1] (default: the run's, chosen on validation).") var alpha: Float?
    @Option(help: "text-dominant, id-dominant, confidence, text-pass or id-pass.") var fusion: String = "text-dominant"
    @Option(name: .customLong("fusion-temperature"), help: "τ dividing Eq. 14's argument (the paper: 1; the public code: 0.5).")
    var fusionTemperature: Float = FusionParameters.paperTemperature
    @Option(help: "Evaluate the run's reproducible sample of N users (0 = all users).") var users: Int = 0
    @Option(help: "Output directory (default: RUN_DIR/eval/<fusion>-<alpha>).") var out: String?
    @Option(name: .customLong("batch-size"), help: "Histories per decoder batch.") var batchSize: Int = 16

    func run() async throws {
        var options = RunEvaluationOptions()
        options.fusion = try FusionMethod.parse(fusion)
        if let split {
            guard let s = Split(rawValue: split) else { throw ValidationError("--split must be valid or test; found '\(split)'") }
            options.splits = [s]
        }
        options.alpha = alpha
        options.temperature = fusionTemperature
        guard users >= 0 else { throw ValidationError("--users must be 0 (all) or positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        options.users = users
        options.out = out
        options.batchSize = batchSize
        let trained = try TrainedRun(directory: run)
        let result = try RunEvaluation.evaluate(trained, options: options)
        print(result.report.table(), terminator: "")
        print(String(format: "%d users per split, %@ α = %g, τ = %g: %.1f s, %.2f users/s (both passes per user and split)",
                     result.users, options.fusion.rawValue, Double(result.alpha), Double(options.temperature),
                     result.seconds, result.usersPerSecond))
        print("wrote \(result.directory)/metrics.json, ranks.tsv, evaluation.json")
    }
}
