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
    @Option(help: "text-dominant, id-dominant, confidence, text-pass or id-pass; a comma-separated list evaluates each from one run of the decoder (then --out is their parent directory).")
    var fusion: String = "text-dominant"
    @Option(name: .customLong("fusion-temperature"), help: "τ dividing Eq. 14's argument (the paper: 1; the public code: 0.5).")
    var fusionTemperature: Float = FusionParameters.paperTemperature
    @Option(help: "Evaluate the run's reproducible sample of N users (0 = all users).") var users: Int = 0
    @Option(help: "Output directory (default: RUN_DIR/eval/<fusion>-<alpha>; with several fusions, DIR/<fusion>-<alpha> each).") var out: String?
    @Option(name: .customLong("batch-size"), help: "Histories per decoder batch.") var batchSize: Int = 16

    func run() async throws {
        var options = RunEvaluationOptions()
        let methods = try fusion.split(separator: ",").map { try FusionMethod.parse(String($0).trimmingCharacters(in: .whitespaces)) }
        guard !methods.isEmpty, Set(methods).count == methods.count else { throw ValidationError("--fusion needs one or more distinct methods") }
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
        for result in try RunEvaluation.evaluate(trained, options: options, fusions: methods) {
            print("\n" + result.fusion.rawValue + ":")
            print(result.report.table(), terminator: "")
            print(String(format: "%d users per split, α = %g, τ = %g: %.1f s, %.2f users/s (decoder: text pass %.1f s, ID pass %.1f s)",
                         result.users, Double(result.alpha), Double(options.temperature), result.seconds, result.usersPerSecond,
                         result.textPassSeconds, result.idPassSeconds))
            let d = result.passDiagnostics
            print(String(format: "passes (%d rows): text~ID Spearman %.3f, top-10 overlap %.2f; Spearman with popularity: text %.3f, ID %.3f; "
                         + "top-10 overlap with the 10 most popular: text %.2f, ID %.2f; top-10 overlap between consecutive users: text %.2f, ID %.2f; "
                         + "softmax entropy: text %.3f, ID %.3f of %.3f nats (uniform)",
                         d.rows, d.textIDSpearman, d.textIDTop10Overlap, d.textPopularitySpearman, d.idPopularitySpearman,
                         d.textPopularityTop10Overlap, d.idPopularityTop10Overlap, d.textUserToUserTop10Overlap, d.idUserToUserTop10Overlap,
                         d.textEntropy, d.idEntropy, d.uniformEntropy))
            print("wrote \(result.directory)/metrics.json, ranks.tsv, evaluation.json")
        }
    }
}
