// The one evaluation behind `hdrec evaluate`, whatever it scores: a served HDRecModel (a
// run's, TrainedRun.servingModel, or a bundle's, HDRecModel.load: the server's code path)
// through HDRecScorer, Fusion and RecSys's Evaluator, and optionally SASRec through RecSys's
// SASRecScorer over the same users, so `hdrec compare` pairs every method user for user.
// Per method it writes
//   DIR/metrics.json, DIR/ranks.tsv   the harness's format (docs/recsys.md)
//   DIR/evaluation.json               what was scored, the users and their sample, timing
// The decoder runs once: with several fusions the pass rows are kept and re-fused.
import Foundation
import HDRecInference
import JSON
import RecSys
import Support
import TrainingOps

/// What an evaluation ranks with: one fusion of HDRec's passes, or SASRec alone.
public enum EvaluationMethod: Hashable, Sendable {
    case fusion(FusionMethod)
    /// The SASRec checkpoint of the run or bundle (`--fusion sasrec`), through SASRecScorer.
    case sasrec
    /// The no-LLM control (`--fusion control`): SASRec plus w × item-text similarity, w chosen
    /// on validation (TextControlScorer).
    case control

    public static let sasrecName = "sasrec"
    public static let controlName = "control"

    /// A fusion name, `sasrec` or `control`.
    public static func parse(_ name: String) throws -> EvaluationMethod {
        if name == sasrecName { return .sasrec }
        if name == controlName { return .control }
        return .fusion(try FusionMethod.parse(name))
    }

    public var name: String {
        switch self {
        case let .fusion(f): return f.rawValue
        case .sasrec: return Self.sasrecName
        case .control: return Self.controlName
        }
    }
}

/// A served model with its data and defaults, and what evaluation.json says about it.
public struct EvaluationSubject {
    public var model: HDRecModel
    public var dataset: Dataset
    /// The SASRec model `.sasrec` scores; nil when the run or bundle has no full checkpoint.
    public var sasrec: SASRecModel<Float>?
    /// α, τ and ε when the options name none.
    public var defaultParameters: FusionParameters
    /// The method when none is named (a bundle's default fusion; text-dominant for a run).
    public var defaultFusion: FusionMethod
    /// Parent of each method's directory when `out` is not given; nil: `out` is required.
    public var defaultRoot: String?
    /// The users for `options.users` (0: all).
    public var users: (Int) -> [Int]
    /// Where the model and the users came from (evaluation.json).
    public var source: EvaluationSource
}

/// The provenance part of evaluation.json; nil fields are left out.
public struct EvaluationSource: Codable, Sendable {
    public var run: String?
    public var checkpoint: String?
    public var bundle: String?
    public var data: String?
    public var decoderLayers: Int
    public var trainedNorms: Bool
    public var base: String
    /// How a sample of N users is drawn, and its seed (recorded so it can be drawn again).
    public var userSample: String
    public var userSampleSeed: UInt64
    public var userSampleSalt: UInt64
}

public enum ModelEvaluation {
    /// ROOT/<fusion>-<alpha>, α printed shortest (0.1, 0.35, 1); ROOT/sasrec for SASRec.
    public static func directory(root: String, method: EvaluationMethod, alpha: Float) -> String {
        switch method {
        case let .fusion(f): return root + "/" + f.rawValue + "-" + String(format: "%g", Double(alpha))
        case .sasrec: return root + "/" + EvaluationMethod.sasrecName
        case .control: return root + "/" + EvaluationMethod.controlName
        }
    }

    /// Evaluates `subject` with each method in turn and writes each one's files. With one
    /// method they go to `options.out` (or the default directory); with several, to
    /// `<options.out or the default root>/<method>-<alpha>`. The first HDRec result's time
    /// includes the decoder passes; the others only re-fuse and re-rank.
    public static func evaluate(_ subject: EvaluationSubject, options o: RunEvaluationOptions,
                                methods: [EvaluationMethod]) throws -> [RunEvaluationResult] {
        guard o.batchSize > 0 else { throw HDRecTrainingError.invalidConfiguration(field: "batch size", reason: "must be positive, found \(o.batchSize)") }
        guard o.users >= 0 else { throw HDRecTrainingError.invalidConfiguration(field: "users", reason: "must be 0 (all) or positive, found \(o.users)") }
        guard !o.splits.isEmpty else { throw HDRecTrainingError.invalidConfiguration(field: "splits", reason: "none given") }
        guard !methods.isEmpty, Set(methods).count == methods.count else {
            throw HDRecTrainingError.invalidConfiguration(field: "fusion methods", reason: "must be a non-empty list without repeats, found \(methods.map(\.name))")
        }
        if methods.contains(.sasrec), subject.sasrec == nil {
            throw HDRecTrainingError.invalidConfiguration(field: "fusion methods",
                reason: "'sasrec' needs the full SASRec checkpoint, which this one lacks (a bundle carries it as \(BundleLayout.sasrecModel) from format 2; a run reads the file hdrec sasrec wrote)")
        }
        if methods.contains(.control), subject.sasrec == nil || subject.model.heads.ipl.itemTable == nil {
            throw HDRecTrainingError.invalidConfiguration(field: "fusion methods",
                reason: "'control' needs the full SASRec checkpoint and a factorized IPL's item-text table")
        }
        if o.out == nil, subject.defaultRoot == nil {
            throw HDRecTrainingError.invalidConfiguration(field: "out", reason: "an output directory is needed (a bundle is never written into)")
        }
        var parameters = subject.defaultParameters
        if let a = o.alpha { parameters.alpha = a }
        if let t = o.temperature { parameters.temperature = t }
        try parameters.validate()
        let dataset = subject.dataset
        let users = subject.users(o.users)
        let hdrecMethods = methods.compactMap { if case let .fusion(f) = $0 { return f } else { return nil } }
        let model = TimedPasses(subject.model, popularity: PopularityScorer(dataset: dataset),
                                fusion: (hdrecMethods.first ?? subject.defaultFusion, parameters))
        let scorer = try HDRecScorer(passes: model, dataset: dataset, fusion: hdrecMethods.first ?? .textDominant,
                                     parameters: parameters, cachePasses: hdrecMethods.count > 1)
        let evaluation = EvaluationOptions(splits: o.splits, batchSize: o.batchSize, users: users, showProgress: o.showProgress)
        var results: [RunEvaluationResult] = []
        var controlWeight: Float? = nil, controlSweep: String? = nil
        for method in methods {
            let textBefore = model.textMilliseconds, idBefore = model.idMilliseconds
            let start = Date()
            let report: EvaluationReport
            switch method {
            case let .fusion(f):
                scorer.fusion = f
                report = try Evaluator.evaluate(dataset: dataset, scorer: scorer, options: evaluation)
            case .sasrec:
                report = try Evaluator.evaluate(dataset: dataset, scorer: SASRecScorer(model: subject.sasrec!, dataset: dataset),
                                                options: evaluation)
            case .control:
                var control = try TextControlScorer(sasrec: subject.sasrec!, dataset: dataset, itemTable: subject.model.heads.ipl.itemTable!,
                                                    sasrecWidth: subject.model.heads.dimensions.sasrecWidth)
                // w on validation, over the same users, then the requested splits once.
                var best = (weight: Float(0), ndcg: -1.0)
                var sweep: [String] = []
                for w in TextControlScorer.weights {
                    control.weight = w
                    let valid = try Evaluator.evaluate(dataset: dataset, scorer: control,
                                                       options: EvaluationOptions(splits: [.valid], batchSize: o.batchSize, users: users,
                                                                                  showProgress: false))
                    let ndcg = valid.results[0].metric("NDCG@10")
                    sweep.append(String(format: "%g:%.4f", Double(w), ndcg))
                    if ndcg > best.ndcg { best = (w, ndcg) }
                }
                control.weight = best.weight
                controlWeight = best.weight
                controlSweep = sweep.joined(separator: " ")
                report = try Evaluator.evaluate(dataset: dataset, scorer: control, options: evaluation)
            }
            let seconds = Date().timeIntervalSince(start)
            let directory: String
            if methods.count == 1, let out = o.out { directory = out }
            else { directory = Self.directory(root: o.out ?? subject.defaultRoot!, method: method, alpha: parameters.alpha) }
            try report.write(to: directory)
            var result = RunEvaluationResult(report: report, directory: directory, method: method, alpha: parameters.alpha,
                                             temperature: parameters.temperature, users: users.count, seconds: seconds)
            if method == .control { result.controlWeight = controlWeight; result.controlSweep = controlSweep }
            if case .fusion = method {
                result.textPassSeconds = (model.textMilliseconds - textBefore) / 1000
                result.idPassSeconds = (model.idMilliseconds - idBefore) / 1000
                result.passDiagnostics = model.diagnostics.result
            }
            try writeSettings(result, source: subject.source, sampled: o.users != 0, splits: o.splits)
            results.append(result)
        }
        return results
    }

    /// evaluation.json: the source's fields, then what was evaluated and how fast.
    struct Settings: Encodable {
        var source: EvaluationSource
        var splits: [String]
        var fusion: String
        var alpha: Float?
        var fusionTemperature: Float?
        var users: Int
        var seconds: Double
        var textPassSeconds: Double
        var idPassSeconds: Double
        var usersPerSecond: Double
        var passDiagnostics: PassDiagnostics?
        var controlWeight: Float?
        var controlValidSweep: String?

        enum Keys: String, CodingKey {
            case splits, fusion, alpha, fusionTemperature, users, seconds, textPassSeconds, idPassSeconds, usersPerSecond, passDiagnostics
            case controlWeight, controlValidSweep
        }

        func encode(to encoder: Encoder) throws {
            try source.encode(to: encoder)   // flattened: run, checkpoint, bundle, ... at the top level
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(splits, forKey: .splits)
            try c.encode(fusion, forKey: .fusion)
            try c.encodeIfPresent(alpha, forKey: .alpha)
            try c.encodeIfPresent(fusionTemperature, forKey: .fusionTemperature)
            try c.encode(users, forKey: .users)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(textPassSeconds, forKey: .textPassSeconds)
            try c.encode(idPassSeconds, forKey: .idPassSeconds)
            try c.encode(usersPerSecond, forKey: .usersPerSecond)
            try c.encodeIfPresent(passDiagnostics, forKey: .passDiagnostics)
            try c.encodeIfPresent(controlWeight, forKey: .controlWeight)
            try c.encodeIfPresent(controlValidSweep, forKey: .controlValidSweep)
        }
    }

    static func writeSettings(_ r: RunEvaluationResult, source: EvaluationSource, sampled: Bool, splits: [Split]) throws {
        var source = source
        if !sampled { source.userSample = "all" }
        let isSASRec: Bool
        if case .fusion = r.method { isSASRec = false } else { isSASRec = true }   // SASRec or the control: no decoder
        let settings = Settings(source: source, splits: splits.map(\.rawValue), fusion: r.method.name,
                                alpha: isSASRec ? nil : r.alpha, fusionTemperature: isSASRec ? nil : r.temperature,
                                users: r.users, seconds: r.seconds, textPassSeconds: r.textPassSeconds,
                                idPassSeconds: r.idPassSeconds, usersPerSecond: r.usersPerSecond,
                                passDiagnostics: isSASRec ? nil : r.passDiagnostics,
                                controlWeight: r.controlWeight, controlValidSweep: r.controlSweep)
        let encoder = JSONDocumentEncoder(keys: .snakeCase, layout: .pretty, sortedKeys: true)
        try AtomicFile.write(try encoder.encode(settings), to: r.directory + "/evaluation.json")
    }
}

/// Passes through a model, adding up the time of each pass and the passes' agreement.
final class TimedPasses: HDRecPassScoring {
    let model: HDRecModel
    private(set) var textMilliseconds: Double = 0
    private(set) var idMilliseconds: Double = 0
    private(set) var diagnostics: PassDiagnosticsAccumulator
    init(_ model: HDRecModel, popularity: PopularityScorer, fusion: (method: FusionMethod, parameters: FusionParameters)? = nil) {
        self.model = model
        diagnostics = PassDiagnosticsAccumulator(popularity: popularity, fusion: fusion)
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
