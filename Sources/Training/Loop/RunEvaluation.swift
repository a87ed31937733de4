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
    public var alpha: Float
    /// Users evaluated at each split.
    public var users: Int
    /// Wall time of scoring and ranking (model loading excluded).
    public var seconds: Double
    /// Users ranked per second, each split counted (2 decoder passes per user and split).
    public var usersPerSecond: Double { seconds > 0 ? Double(users * report.results.count) / seconds : 0 }
}

public enum RunEvaluation {
    /// RUN_DIR/eval/<fusion>-<alpha>, α printed shortest (0.1, 0.35, 1).
    public static func defaultDirectory(run: String, fusion: FusionMethod, alpha: Float) -> String {
        run + "/eval/" + fusion.rawValue + "-" + String(format: "%g", Double(alpha))
    }

    /// Evaluates `run` as served and writes the result files.
    public static func evaluate(_ run: TrainedRun, options o: RunEvaluationOptions) throws -> RunEvaluationResult {
        guard o.batchSize > 0 else { throw HDRecTrainingError.invalidConfiguration(field: "batch size", reason: "must be positive, found \(o.batchSize)") }
        guard o.users >= 0 else { throw HDRecTrainingError.invalidConfiguration(field: "users", reason: "must be 0 (all) or positive, found \(o.users)") }
        guard !o.splits.isEmpty else { throw HDRecTrainingError.invalidConfiguration(field: "splits", reason: "none given") }
        let alpha = o.alpha ?? run.chosenAlpha
        let parameters = FusionParameters(alpha: alpha, temperature: o.temperature)
        try parameters.validate()
        let model = try run.servingModel()
        let users = run.evaluationUsers(o.users)
        let scorer = try HDRecScorer(passes: model, dataset: run.context.dataset, fusion: o.fusion, parameters: parameters)
        let start = Date()
        let report = try Evaluator.evaluate(dataset: run.context.dataset, scorer: scorer,
                                            options: EvaluationOptions(splits: o.splits, batchSize: o.batchSize, users: users,
                                                                       showProgress: o.showProgress))
        let seconds = Date().timeIntervalSince(start)
        let directory = o.out ?? defaultDirectory(run: run.directory, fusion: o.fusion, alpha: alpha)
        try report.write(to: directory)
        let result = RunEvaluationResult(report: report, directory: directory, alpha: alpha, users: users.count, seconds: seconds)
        try writeSettings(result, run: run, options: o)
        return result
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
        var usersPerSecond: Double
    }

    static func writeSettings(_ r: RunEvaluationResult, run: TrainedRun, options o: RunEvaluationOptions) throws {
        let settings = Settings(
            run: run.directory, checkpoint: run.checkpointPath, splits: o.splits.map(\.rawValue), fusion: o.fusion.rawValue,
            alpha: r.alpha, fusionTemperature: o.temperature, users: r.users,
            userSample: o.users == 0 ? "all" : "the run's final-evaluation sample (seed \(run.spec.options.seed), salt \(TrainedRun.finalEvaluationSalt))",
            decoderLayers: run.spec.network.layers, trainedNorms: run.spec.network.trainNorms, base: run.spec.basePath,
            seconds: r.seconds, usersPerSecond: r.usersPerSecond)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(settings), to: r.directory + "/evaluation.json")
    }
}
