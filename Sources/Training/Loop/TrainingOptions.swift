// The hyper-parameters of one HDRec training run (paper Table 2 and the cpu profile),
// stored in the run directory so that --resume can refuse a different configuration.

/// Which losses and phases run (paper §4.3 ablations; Fig. 4).
public enum Ablation: String, Sendable, Codable, CaseIterable {
    /// HDRec: DLA (Algorithm 1) with the KL alignment.
    case none
    /// Joint training: one summed loss (both CEs and both KLs), one backward, one step.
    case noDLA = "no-dla"
    /// DLA with λ = 0.
    case noKL = "no-kl"
    /// The text branch alone (HDRec w/o ID + KL).
    case textOnly = "text-only"
    /// The ID branch alone.
    case idOnly = "id-only"
}

/// How CE and KL rows are averaged (Eqs. 9 and 11).
public enum LossAverage: String, Sendable, Codable {
    /// Over each user's supervised positions, then over users (the paper's default).
    case users
    /// Over all supervised positions of the batch (the public code's `batchmean`).
    case positions
}

public struct TrainingOptions: Sendable, Codable, Equatable {
    public var profile: String
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var weightDecay: Double
    public var warmupFraction: Double
    public var clipNorm: Double
    /// λ of Eqs. 10 and 12.
    public var klWeight: Double
    public var klTemperature: Double
    /// T of Algorithm 1.
    public var alternations: Int
    public var ablation: Ablation
    public var lossAverage: LossAverage
    public var seed: UInt64
    /// Validation users sampled per epoch (0: all).
    public var validationUsers: Int
    /// Task 1 (paper §3.2.1): item-text alignment samples `P_i ++ text(i) ++ [ALIGN]` mixed
    /// into the text adapter's batches, one per item per epoch.
    public var itemAlignment: Bool = true
    /// The public code's extra ID alignment task `P_i ++ ⟨ID(i)⟩ ++ [ALIGN]` for the ID
    /// adapter (docs/public-code.md §9, item 1). Off by default: the paper's ID
    /// adapter trains on task 3 alone.
    public var idAlignment: Bool = false
    /// λ rises linearly from 0 over this fraction of the run's steps (nil/0: λ from step 0).
    /// Two untrained passes have nothing to teach each other; the warm-up lets CE shape them first.
    public var klWarmupFraction: Double? = nil
    /// The heads' (IPL, projector, added rows, γ) learning rate as a multiple of the adapters' (nil: 1).
    public var headLearningRateMultiplier: Double? = nil

    /// Whether the ID phase also learns from the text pass (KL(z̃_text ‖ z_id), Eq. 10). nil/true:
    /// the paper's symmetric alignment. false: the KL runs one way, ID → text, so an ID pass
    /// anchored at SASRec is never pulled towards a weaker text pass while it distils into it.
    public var idPhaseKL: Bool? = nil

    /// The served α, fixed by the recipe (the paper profile's Table 2 value); nil: chosen on validation.
    public var fixedAlpha: Double? = nil

    /// λ at `step` of `totalSteps`.
    public func klWeight(step: Int, totalSteps: Int) -> Double {
        guard let w = klWarmupFraction, w > 0 else { return klWeight }
        let ramp = max(1.0, w * Double(totalSteps))
        return klWeight * min(1, Double(step + 1) / ramp)
    }

    /// The options of `Recipes/cpu.json` (RecipeTests checks they agree): one epoch of the bundled
    /// Scientific data practical on 2 cores. Tests start from it; runs start from a recipe.
    public static let cpu = TrainingOptions(profile: "cpu", epochs: 1, batchSize: 8, learningRate: 1e-3, weightDecay: 0.01,
                                            warmupFraction: 0.05, clipNorm: 1.0, klWeight: 1.0, klTemperature: 1.0,
                                            alternations: 2, ablation: .none, lossAverage: .users, seed: 42,
                                            validationUsers: 500, itemAlignment: true, idAlignment: false)
}
