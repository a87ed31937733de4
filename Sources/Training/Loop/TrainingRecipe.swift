// A training recipe: every setting of one `hdrec train` configuration in one JSON file
// (docs/training.md "Recipes and the shipped configuration"). The named recipes are committed under Recipes/ and embedded in the
// binary (EmbeddedRecipes.swift, checked equal to the files by a test); `--config FILE`
// loads another, and command-line flags override single values. The resolved recipe is
// saved in the run directory (recipe.json, and inside run.json) and the bundle's manifest.
//
// Keys are the Swift property names. `layers` null means all of the base's layers (the paper
// profile); a number is capped at the base's block count. `alpha` null means "chosen on
// validation"; a number fixes the served α (the paper profile's Table 2 value), and the α
// validation would have chosen is still reported.
import Foundation
import HDRecInference
import JSON

public struct TrainingRecipe: Sendable, Codable, Equatable {
    public var name: String
    public var description: String

    // Network
    public var layers: Int?
    public var loraLayers: Int?
    public var loraRank: Int
    public var loraAlpha: Double
    public var loraDropout: Double
    public var loraTargets: [String]
    public var projectorHidden: Int
    public var ipl: IPLKind
    public var iplHidden: Int
    public var iplDropout: Double
    public var idAnchor: Bool
    public var ridgeProjector: Bool
    /// Start the factorized head's SASRec block as a ridge probe of SASRec (HDRecNetworkConfig.sasrecProbe).
    public var sasrecProbe: Bool
    public var trainNorms: Bool

    // Optimisation
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var weightDecay: Double
    public var warmupFraction: Double
    public var clipNorm: Double
    public var klWeight: Double
    public var klTemperature: Double
    public var klWarmupFraction: Double
    /// false: the KL runs ID → text only (see TrainingOptions.idPhaseKL).
    public var idPhaseKL: Bool
    public var alternations: Int
    public var lossAverage: LossAverage
    public var headLearningRateMultiplier: Double
    public var itemAlignment: Bool
    public var idAlignment: Bool
    public var validationUsers: Int
    public var seed: UInt64

    // Prompts
    public var maxItems: Int
    public var maxChunkTokens: Int

    // Fusion
    public var alpha: Double?

    /// The network configuration over a base with `baseLayers` blocks.
    public func network(baseLayers: Int) -> HDRecNetworkConfig {
        var n = HDRecNetworkConfig(layers: min(layers ?? baseLayers, baseLayers), projectorHidden: projectorHidden, iplHidden: iplHidden)
        n.loraRank = loraRank; n.loraAlpha = loraAlpha; n.loraDropout = loraDropout; n.loraTargets = loraTargets
        n.iplDropout = iplDropout; n.trainNorms = trainNorms
        n.iplKind = ipl == .mlp ? nil : ipl
        n.idAnchor = idAnchor ? true : nil
        n.ridgeProjector = ridgeProjector ? true : nil
        n.sasrecProbe = sasrecProbe ? true : nil
        if let loraLayers, loraLayers < n.layers { n.loraLayers = loraLayers }
        return n
    }

    public func options(ablation: Ablation = .none) -> TrainingOptions {
        var o = TrainingOptions(profile: name, epochs: epochs, batchSize: batchSize, learningRate: learningRate,
                                weightDecay: weightDecay, warmupFraction: warmupFraction, clipNorm: clipNorm,
                                klWeight: ablation == .noKL ? 0 : klWeight, klTemperature: klTemperature,
                                alternations: alternations, ablation: ablation, lossAverage: lossAverage, seed: seed,
                                validationUsers: validationUsers, itemAlignment: itemAlignment, idAlignment: idAlignment)
        if klWarmupFraction > 0 { o.klWarmupFraction = klWarmupFraction }
        if !idPhaseKL { o.idPhaseKL = false }
        if headLearningRateMultiplier != 1 { o.headLearningRateMultiplier = headLearningRateMultiplier }
        if let alpha { o.fixedAlpha = alpha }
        return o
    }

    public func prompt() -> PromptConfiguration {
        var p = PromptConfiguration()
        p.maxItems = maxItems
        p.maxAttributeTokens = maxChunkTokens
        return p
    }

    /// Throws the first value outside its range, naming the recipe and the key.
    public func validate(source: String) throws {
        func bad(_ key: String, _ value: String, _ expected: String) -> HDRecTrainingError {
            .recipe(source: source, key: key, problem: "\(value) (expected \(expected))")
        }
        if let layers, layers < 1 { throw bad("layers", "\(layers)", "null or ≥ 1") }
        if let loraLayers, loraLayers < 1 { throw bad("loraLayers", "\(loraLayers)", "null or ≥ 1") }
        for (key, v) in [("loraRank", loraRank), ("projectorHidden", projectorHidden), ("iplHidden", iplHidden), ("epochs", epochs),
                         ("batchSize", batchSize), ("alternations", alternations), ("maxItems", maxItems), ("maxChunkTokens", maxChunkTokens)] where v < 1 {
            throw bad(key, "\(v)", "≥ 1")
        }
        for (key, v) in [("loraDropout", loraDropout), ("iplDropout", iplDropout)] where !(v >= 0 && v < 1) {
            throw bad(key, "\(v)", "in [0, 1)")
        }
        for (key, v) in [("warmupFraction", warmupFraction), ("klWarmupFraction", klWarmupFraction)] where !(v >= 0 && v <= 1) {
            throw bad(key, "\(v)", "in [0, 1]")
        }
        for (key, v) in [("learningRate", learningRate), ("headLearningRateMultiplier", headLearningRateMultiplier),
                         ("klTemperature", klTemperature), ("clipNorm", clipNorm)] where !(v > 0) {
            throw bad(key, "\(v)", "> 0")
        }
        for (key, v) in [("weightDecay", weightDecay), ("klWeight", klWeight)] where !(v >= 0) { throw bad(key, "\(v)", "≥ 0") }
        if validationUsers < 0 { throw bad("validationUsers", "\(validationUsers)", "0 (all) or more") }
        if let alpha, !(alpha >= 0 && alpha <= 1) { throw bad("alpha", "\(alpha)", "null or in [0, 1]") }
        if ridgeProjector && projectorHidden < 256 { throw bad("projectorHidden", "\(projectorHidden)", "≥ 2 × the SASRec width (256) with ridgeProjector") }
        _ = try network(baseLayers: layers ?? 1).targetSet()
    }

    /// Parses a recipe; `source` names it in errors (a path, or `recipe 'default'`).
    public static func decode(_ data: Data, source: String) throws -> TrainingRecipe {
        let recipe: TrainingRecipe
        do { recipe = try JSONDocumentDecoder().decode(TrainingRecipe.self, from: data) } catch let JSONError.document(key, problem, offset) {
            throw HDRecTrainingError.recipe(source: source, key: key.isEmpty ? "(file)" : key, problem: "\(problem) (byte \(offset))")
        } catch {
            throw HDRecTrainingError.recipe(source: source, key: "(file)", problem: "\(error)")
        }
        try recipe.validate(source: source)
        return recipe
    }

    /// A named recipe embedded in the binary.
    public static func named(_ name: String) throws -> TrainingRecipe {
        guard let text = EmbeddedRecipes.all[name] else {
            throw HDRecTrainingError.recipe(source: "recipe '\(name)'", key: "name",
                                            problem: "unknown; the embedded recipes are \(EmbeddedRecipes.all.keys.sorted().joined(separator: ", "))")
        }
        return try decode(Data(text.utf8), source: "recipe '\(name)'")
    }

    /// Pretty-printed JSON with sorted keys (what a run and a bundle store).
    public func json() throws -> Data {
        Data(try JSONDocumentEncoder(layout: .pretty, sortedKeys: true).encode(self).utf8)
    }
}
