// `hdrec evaluate --run RUN_DIR`: full-ranking, leave-one-out evaluation of a trained
// run as it would be served (TrainedRun.servingModel: the GGUF base cut to the run's
// L layers, trained norms, both adapters, the anchored ID pass's SASRec), through
// ModelEvaluation: HDRecScorer, Fusion and RecSys's Evaluator, the code paths of serving
// and of `hdrec sasrec`'s evaluation. Files go to RUN_DIR/eval/<fusion>-<alpha>/ unless
// given (ModelEvaluation lists them).
//
// Users: all (default), or with `users = N` the reproducible sample of the run's own
// final evaluation (`hdrec train --eval-users N`, same seed and salt), so ranks.tsv
// files of one run pair user for user, and `hdrec compare` pairs a sample with a
// full-data ranks.tsv (SASRec's) over the sample's users.
import Foundation
import HDRecInference
import RecSys
import Support

public struct RunEvaluationOptions: Sendable {
    public var splits: [Split] = [.valid, .test]
    /// The method of ``RunEvaluation/evaluate(_:options:)`` (the list form takes its own).
    public var fusion: FusionMethod = .textDominant
    /// nil: the run's chosen α (history.json `bestAlpha`), or the bundle's.
    public var alpha: Float? = nil
    /// τ of Eq. 14; nil: 1 (the paper) for a run, the manifest's for a bundle.
    public var temperature: Float? = nil
    /// 0: all users; N: a seeded sample of N users (a run's: its final-evaluation sample).
    public var users: Int = 0
    /// nil: RUN_DIR/eval/<fusion>-<alpha> (required for a bundle).
    public var out: String? = nil
    /// Histories per decoder batch (each pass runs once per batch).
    public var batchSize: Int = 16
    public var showProgress = true
    public init() {}
}

public struct RunEvaluationResult: Sendable {
    public var report: EvaluationReport
    public var directory: String
    public var method: EvaluationMethod
    /// α and τ of the fusion (unused by `.sasrec`).
    public var alpha: Float
    public var temperature: Float
    /// Users evaluated at each split.
    public var users: Int
    /// Wall time of scoring and ranking (model loading excluded).
    public var seconds: Double
    /// Of which in the text pass and the ID pass (decoder, IPL).
    public var textPassSeconds: Double = 0
    public var idPassSeconds: Double = 0
    /// How the two passes agree with each other and with popularity, over every user row
    /// the decoder scored (the same for each fusion of one evaluation).
    public var passDiagnostics = PassDiagnostics()
    /// The control's w, chosen on validation, and its validation sweep (`--fusion control`).
    public var controlWeight: Float? = nil
    public var controlSweep: String? = nil
    /// Users ranked per second, each split counted (2 decoder passes per user and split).
    public var usersPerSecond: Double { seconds > 0 ? Double(users * report.results.count) / seconds : 0 }
    /// The fusion method, nil for SASRec.
    public var fusion: FusionMethod? {
        if case let .fusion(f) = method { return f }
        return nil
    }
}

public enum RunEvaluation {
    /// RUN_DIR/eval/<fusion>-<alpha>, α printed shortest (0.1, 0.35, 1); with `under`,
    /// `run` is the parent directory itself.
    public static func defaultDirectory(run: String, fusion: FusionMethod, alpha: Float, under: Bool = false) -> String {
        ModelEvaluation.directory(root: under ? run : run + "/eval", method: .fusion(fusion), alpha: alpha)
    }

    /// Evaluates `run` as served with `options.fusion` and writes the result files.
    public static func evaluate(_ run: TrainedRun, options o: RunEvaluationOptions) throws -> RunEvaluationResult {
        try evaluate(run, options: o, fusions: [o.fusion])[0]
    }

    /// Evaluates `run` with each fusion method in turn, running the decoder once
    /// (ModelEvaluation.evaluate).
    public static func evaluate(_ run: TrainedRun, options o: RunEvaluationOptions, fusions: [FusionMethod]) throws -> [RunEvaluationResult] {
        try evaluate(run, options: o, methods: fusions.map { .fusion($0) })
    }

    /// The same with `.sasrec` allowed among the methods (the run's SASRec checkpoint).
    public static func evaluate(_ run: TrainedRun, options o: RunEvaluationOptions, methods: [EvaluationMethod]) throws -> [RunEvaluationResult] {
        try ModelEvaluation.evaluate(try subject(run), options: o, methods: methods)
    }

    /// The run's served model with its defaults: the chosen α, τ = 1, its final-evaluation sample.
    public static func subject(_ run: TrainedRun) throws -> EvaluationSubject {
        let spec = run.spec
        let salt = TrainedRun.finalEvaluationSalt
        let sasrec = try run.context.anchors?.model
            ?? (RunExporter.isFullSASRec(spec.sasrecPath) ? SASRecExport.load(path: spec.sasrecPath) : nil)
        return EvaluationSubject(
            model: try run.servingModel(), dataset: run.context.dataset, sasrec: sasrec,
            defaultParameters: FusionParameters(alpha: run.chosenAlpha, temperature: FusionParameters.paperTemperature),
            defaultFusion: .textDominant, defaultRoot: run.directory + "/eval", users: { run.evaluationUsers($0) },
            source: EvaluationSource(run: run.directory, checkpoint: run.checkpointPath, bundle: nil, data: nil,
                                     decoderLayers: spec.network.layers, trainedNorms: spec.network.trainNorms, base: spec.basePath,
                                     userSample: "the run's final-evaluation sample (seed \(spec.options.seed), salt 0x"
                                        + String(salt, radix: 16, uppercase: true) + ")",
                                     userSampleSeed: spec.options.seed, userSampleSalt: salt))
    }
}
