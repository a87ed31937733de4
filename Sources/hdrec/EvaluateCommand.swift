// `hdrec evaluate --run RUN_DIR` or `--bundle DIR --data DIR`: full-ranking evaluation of
// a trained run as it would be served (the GGUF base cut to the run's layers, trained
// norms, both adapters, the server's fusion), or of a bundle exactly as hdrec-server
// serves it, writing metrics.json, ranks.tsv and evaluation.json in the harness's format.
// The work is in Training's RunEvaluation, BundleEvaluation and ModelEvaluation.
import ArgumentParser
import Foundation
import HDRecInference
import RecSys
import Training

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained HDRec run (best checkpoint) or a bundle with full ranking; write metrics.json and ranks.tsv.",
        discussion: """
        Scores through the served model (HDRecModel over the base GGUF, first L layers, trained norms) and the \
        server's fusion code; a bundle is loaded with HDRecModel.load, as hdrec-server loads it. --users N evaluates \
        a seeded sample (for a run: its own final evaluation's, hdrec train --eval-users N; for a bundle: --seed, by \
        default the training seed in its manifest), so its ranks.tsv pairs with the run's and, over those users, with \
        a full-data ranks.tsv such as SASRec's in `hdrec compare`. --fusion sasrec scores the run's or bundle's own \
        SASRec checkpoint over the same users.
        """)

    @Option(help: "A training run directory (hdrec train --out).") var run: String?
    @Option(help: "A bundle directory (hdrec export --out); needs --data and --out.") var bundle: String?
    @Option(help: "With --bundle: the prepared dataset (hdrec prepare --out) whose items are the bundle's catalog.") var data: String?
    @Option(help: "With --bundle: the base GGUF, for bundles that reference theirs by sha256.") var base: String?
    @Option(help: "With --bundle: the seed of the --users sample (default: the manifest's training seed).") var seed: UInt64?
    @Option(help: "valid or test (default: both).") var split: String?
    @Option(help: "α of Eq. 17 in [0, 1] (default: the run's, chosen on validation, or the bundle's).") var alpha: Float?
    @Option(help: "text-dominant, id-dominant, confidence, text-pass, id-pass, sasrec (the checkpoint alone) or control (SASRec + w × item-text similarity, no decoder; w chosen on validation); a comma-separated list evaluates each from one run of the decoder (then --out is their parent directory). Default: text-dominant for a run, the bundle's default for a bundle.")
    var fusion: String?
    @Option(name: .customLong("fusion-temperature"), help: "τ dividing Eq. 14's argument (the paper: 1; the public code: 0.5). Default: 1 for a run, the bundle's for a bundle.")
    var fusionTemperature: Float?
    @Option(help: "Evaluate a reproducible sample of N users (0 = all users).") var users: Int = 0
    @Option(help: "Output directory (default for a run: RUN_DIR/eval/<fusion>-<alpha>; with several methods, DIR/<fusion>-<alpha> each).") var out: String?
    @Option(name: .customLong("batch-size"), help: "Histories per decoder batch.") var batchSize: Int = 16
    @Flag(help: "With --bundle: quantize the decoder's prefill activations to 8 bits (integer kernels).") var int8Activations = false

    func validate() throws {
        guard (run == nil) != (bundle == nil) else { throw ValidationError("give exactly one of --run and --bundle") }
        if bundle != nil {
            guard data != nil else { throw ValidationError("--bundle needs --data (the dataset the bundle was trained on)") }
            guard out != nil else { throw ValidationError("--bundle needs --out (a bundle directory is never written into)") }
        } else if data != nil || base != nil || seed != nil || int8Activations {
            throw ValidationError("--data, --base, --seed and --int8-activations go with --bundle (a run records its own)")
        }
        guard users >= 0 else { throw ValidationError("--users must be 0 (all) or positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        var options = RunEvaluationOptions()
        if let split {
            guard let s = Split(rawValue: split) else { throw ValidationError("--split must be valid or test; found '\(split)'") }
            options.splits = [s]
        }
        options.alpha = alpha
        options.temperature = fusionTemperature
        options.users = users
        options.out = out
        options.batchSize = batchSize
        // Named methods are checked before anything is loaded.
        let named = try fusion.map { list in
            try list.split(separator: ",").map { try EvaluationMethod.parse(String($0).trimmingCharacters(in: .whitespaces)) }
        }
        if let named { guard !named.isEmpty, Set(named).count == named.count else { throw ValidationError("--fusion needs one or more distinct methods") } }
        let subject = if let bundle, let data {
            try BundleEvaluation.subject(bundle: bundle, dataPath: data, basePath: base, seed: seed,
                                         activations: int8Activations ? .int8 : .f32)
        } else {
            try RunEvaluation.subject(try TrainedRun(directory: run ?? ""))
        }
        let methods = named ?? [.fusion(subject.defaultFusion)]
        for result in try ModelEvaluation.evaluate(subject, options: options, methods: methods) {
            print("\n" + result.method.name + ":")
            print(result.report.table(), terminator: "")
            guard case .fusion = result.method else {
                print(String(format: "%d users per split: %.1f s, %.2f users/s", result.users, result.seconds, result.usersPerSecond)
                      + (result.controlWeight.map { String(format: "; w = %g chosen on validation (%@)", Double($0), result.controlSweep ?? "") } ?? ""))
                print("wrote \(result.directory)/metrics.json, ranks.tsv, evaluation.json")
                continue
            }
            print(String(format: "%d users per split, α = %g, τ = %g: %.1f s, %.2f users/s (decoder: text pass %.1f s, ID pass %.1f s)",
                         result.users, Double(result.alpha), Double(result.temperature), result.seconds, result.usersPerSecond,
                         result.textPassSeconds, result.idPassSeconds))
            let d = result.passDiagnostics
            print(String(format: "passes (%d rows): text~ID Spearman %.3f, top-10 overlap %.2f; Spearman with popularity: text %.3f, ID %.3f; "
                         + "top-10 overlap with the 10 most popular: text %.2f, ID %.2f; top-10 overlap between consecutive users: text %.2f, ID %.2f; "
                         + "softmax entropy: text %.3f, ID %.3f of %.3f nats (uniform)",
                         d.rows, d.textIDSpearman, d.textIDTop10Overlap, d.textPopularitySpearman, d.idPopularitySpearman,
                         d.textPopularityTop10Overlap, d.idPopularityTop10Overlap, d.textUserToUserTop10Overlap, d.idUserToUserTop10Overlap,
                         d.textEntropy, d.idEntropy, d.uniformEntropy)
                  + (d.fusedUserToUserTop10Overlap.map { String(format: "; fused (%@) top-10 overlap between consecutive users %.2f", result.method.name, $0) } ?? ""))
            print("wrote \(result.directory)/metrics.json, ranks.tsv, evaluation.json")
        }
    }
}
