// `hdrec evaluate --run RUN_DIR`: full-ranking, leave-one-out evaluation of a trained
// run as it would be served (TrainedRun.servingModel: the GGUF base cut to the run's
// L layers, trained norms, both adapters), through HDRecScorer, Fusion and RecSys's
// Evaluator: the code paths of serving and of `hdrec sasrec`'s evaluation. Writes
//   DIR/metrics.json, DIR/ranks.tsv   the harness's format (docs/recsys.md)
//   DIR/evaluation.json               the settings, the users evaluated, timing
// with DIR = RUN_DIR/eval/<fusion>-<alpha>/ unless given.
//
// Users: all (default), or with `users = N` the reproducible sample of the run's own
// final evaluation (`hdrec train --eval-users N`, same seed and salt), so ranks.tsv
// files of one run pair user for user, and `hdrec compare` pairs a sample with a
// full-data ranks.tsv (SASRec's) over the sample's users.
import Foundation
import Recommender
import RecSys
import Support

public struct RunEvaluationOptions: Sendable {
    public var splits: [Split] = [.valid, .test]
    /// The method of ``RunEvaluation/evaluate(_:options:)`` (the list form takes its own).
    public var fusion: FusionMethod = .textDominant
    /// nil: the run's chosen α (history.json `bestAlpha`).
    public var alpha: Float? = nil
    /// τ of Eq. 14 (1 = the paper).
    public var temperature: Float = FusionParameters.paperTemperature
    /// 0: all users; N: the run's final-evaluation sample of N users.
    public var users: Int = 0
    /// nil: RUN_DIR/eval/<fusion>-<alpha>.
    public var out: String? = nil
    /// Histories per decoder batch (each pass runs once per batch).
    public var batchSize: Int = 16
    public var showProgress = true
    public init() {}
}

public struct RunEvaluationResult: Sendable {
    public var report: EvaluationReport
    public var directory: String
    public var fusion: FusionMethod
    public var alpha: Float
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
    /// Users ranked per second, each split counted (2 decoder passes per user and split).
    public var usersPerSecond: Double { seconds > 0 ? Double(users * report.results.count) / seconds : 0 }
}

public enum RunEvaluation {
    /// RUN_DIR/eval/<fusion>-<alpha>, α printed shortest (0.1, 0.35, 1); with `under`,
    /// `run` is the parent directory itself.
    public static func defaultDirectory(run: String, fusion: FusionMethod, alpha: Float, under: Bool = false) -> String {
        (under ? run : run + "/eval") + "/" + fusion.rawValue + "-" + String(format: "%g", Double(alpha))
    }

    /// Evaluates `run` as served with `options.fusion` and writes the result files.
    public static func evaluate(_ run: TrainedRun, options o: RunEvaluationOptions) throws -> RunEvaluationResult {
        try evaluate(run, options: o, fusions: [o.fusion])[0]
    }

    /// Evaluates `run` with each fusion method in turn, running the decoder once: the pass
    /// rows are kept (2 · I floats per user and split) and re-fused. With one method the
    /// files go to `options.out` (or the default directory); with several, each method's go
    /// to `<options.out>/<fusion>-<alpha>` (or its default directory). The first result's
    /// time includes the decoder passes; the others only re-fuse and re-rank.
    public static func evaluate(_ run: TrainedRun, options o: RunEvaluationOptions, fusions: [FusionMethod]) throws -> [RunEvaluationResult] {
        guard o.batchSize > 0 else { throw HDRecTrainingError.invalidConfiguration(field: "batch size", reason: "must be positive, found \(o.batchSize)") }
        guard o.users >= 0 else { throw HDRecTrainingError.invalidConfiguration(field: "users", reason: "must be 0 (all) or positive, found \(o.users)") }
        guard !o.splits.isEmpty else { throw HDRecTrainingError.invalidConfiguration(field: "splits", reason: "none given") }
        guard !fusions.isEmpty, Set(fusions).count == fusions.count else {
            throw HDRecTrainingError.invalidConfiguration(field: "fusion methods", reason: "must be a non-empty list without repeats, found \(fusions.map(\.rawValue))")
        }
        let alpha = o.alpha ?? run.chosenAlpha
        let parameters = FusionParameters(alpha: alpha, temperature: o.temperature)
        try parameters.validate()
        let model = TimedPasses(try run.servingModel(), popularity: PopularityScorer(dataset: run.context.dataset))
        let users = run.evaluationUsers(o.users)
        let scorer = try HDRecScorer(passes: model, dataset: run.context.dataset, fusion: fusions[0], parameters: parameters,
                                     cachePasses: fusions.count > 1)
        var results: [RunEvaluationResult] = []
        for method in fusions {
            scorer.fusion = method
            let textBefore = model.textMilliseconds, idBefore = model.idMilliseconds
            let start = Date()
            let report = try Evaluator.evaluate(dataset: run.context.dataset, scorer: scorer,
                                                options: EvaluationOptions(splits: o.splits, batchSize: o.batchSize, users: users,
                                                                           showProgress: o.showProgress))
            let seconds = Date().timeIntervalSince(start)
            let directory: String
            if fusions.count == 1, let out = o.out { directory = out }
            else { directory = defaultDirectory(run: o.out ?? run.directory + "/eval", fusion: method, alpha: alpha, under: true) }
            try report.write(to: directory)
            let result = RunEvaluationResult(report: report, directory: directory, fusion: method, alpha: alpha, users: users.count, seconds: seconds,
                                             textPassSeconds: (model.textMilliseconds - textBefore) / 1000,
                                             idPassSeconds: (model.idMilliseconds - idBefore) / 1000,
                                             passDiagnostics: model.diagnostics.result)
            try writeSettings(result, run: run, options: o, fusion: method)
            results.append(result)
        }
        return results
    }

    /// evaluation.json: what was evaluated and how fast.
    struct Settings: Codable {
        var run: String
        var checkpoint: String
        var splits: [String]
        var fusion: String
        var alpha: Float
        var fusionTemperature: Float
        var users: Int
        var userSample: String
        var decoderLayers: Int
        var trainedNorms: Bool
        var base: String
        var seconds: Double
        var textPassSeconds: Double
        var idPassSeconds: Double
        var usersPerSecond: Double
        var passDiagnostics: PassDiagnostics
    }

    static func writeSettings(_ r: RunEvaluationResult, run: TrainedRun, options o: RunEvaluationOptions, fusion: FusionMethod) throws {
        let settings = Settings(
            run: run.directory, checkpoint: run.checkpointPath, splits: o.splits.map(\.rawValue), fusion: fusion.rawValue,
            alpha: r.alpha, fusionTemperature: o.temperature, users: r.users,
            userSample: o.users == 0 ? "all" : "the run's final-evaluation sample (seed \(run.spec.options.seed), salt 0x"
                + String(TrainedRun.finalEvaluationSalt, radix: 16, uppercase: true) + ")",
            decoderLayers: run.spec.network.layers, trainedNorms: run.spec.network.trainNorms, base: run.spec.basePath,
            seconds: r.seconds, textPassSeconds: r.textPassSeconds, idPassSeconds: r.idPassSeconds, usersPerSecond: r.usersPerSecond,
            passDiagnostics: r.passDiagnostics)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(settings), to: r.directory + "/evaluation.json")
    }
}

/// Passes through a model, adding up the time of each pass and the passes' agreement.
final class TimedPasses: HDRecPassScoring {
    let model: HDRecModel
    private(set) var textMilliseconds: Double = 0
    private(set) var idMilliseconds: Double = 0
    private(set) var diagnostics: PassDiagnosticsAccumulator
    init(_ model: HDRecModel, popularity: PopularityScorer) {
        self.model = model
        diagnostics = PassDiagnosticsAccumulator(popularity: popularity)
    }
    var itemCount: Int { model.itemCount }
    func passScores(histories: [[Int]]) throws -> HDRecModel.PassScores {
        let s = try model.passScores(histories: histories)
        textMilliseconds += s.textMilliseconds
        idMilliseconds += s.idMilliseconds
        diagnostics.add(text: s.text, id: s.id)
        return s
    }
}
