// Inference-time fusion of the two passes' item logits, paper §3.5 Eqs. 13-18,
// and the variants of Fig. 5. Pure functions over one score row each.
//
// Text-dominant (the paper's HDRec, Eqs. 13-18):
//   μ_id  = mean_i z_id[i]                          (13)
//   S_id  = σ((z_id − μ_id) / τ)                     (14; τ = 1 in the paper,
//                                                          0.5 in the public code)
//   m_id  = min_i z_id[i]                            (15)
//   z_adj = z_id − m_id + ε                          (16)
//   E     = α · z_adj ⊙ S_id                         (17)
//   z     = z_text + E                               (18)
// id-dominant mirrors it (z = z_id + E(z_text)); confidence applies Eqs. 13-17
// to each pass and sums the two E terms (Fig. 5 variant 3: "also passes z_text
// to Eqs 13-17 and uses the result to replace the original z_text in Eq. 18").
// Read literally, both terms carry α, so α only scales the sum: it cannot change
// the ranking, and α = 0 would make every score 0 (a constant row, which the tie
// rule would rank as perfect). The terms are therefore computed with α = 1: the
// same ranking as the literal reading for every α > 0, and a real one at α = 0.
// All of it works on logits, never probabilities (docs/public-code.md §6).
import Foundation

/// How the text and ID passes are combined into one ranking score.
public enum FusionMethod: String, CaseIterable, Sendable, Codable {
    /// The paper's HDRec: text logits enhanced by the calibrated ID logits (Eq. 18).
    case textDominant = "text-dominant"
    /// Fig. 5 variant 2: ID logits enhanced by the calibrated text logits.
    case idDominant = "id-dominant"
    /// Fig. 5 variant 3: E(z_text) + E(z_id), both through Eqs. 13-17.
    case confidence
    /// The text pass alone (z_text).
    case textPass = "text-pass"
    /// The ID pass alone (z_id).
    case idPass = "id-pass"

    /// Parses a fusion name, with an error that lists the valid ones.
    public static func parse(_ name: String) throws -> FusionMethod {
        guard let method = FusionMethod(rawValue: name) else { throw HDRecInferenceError.unknownFusion(name) }
        return method
    }
}

/// The knobs of Eqs. 14, 16 and 17.
public struct FusionParameters: Sendable, Equatable, Codable {
    /// α of Eq. 17: the weight of the enhancing pass, in [0, 1].
    public var alpha: Float
    /// τ dividing Eq. 14's argument. The paper has none (1); the public code uses 0.5.
    public var temperature: Float
    /// ε of Eq. 16.
    public var epsilon: Float

    public static let paperTemperature: Float = 1
    public static let paperEpsilon: Float = 1e-8

    public init(alpha: Float, temperature: Float = FusionParameters.paperTemperature,
                epsilon: Float = FusionParameters.paperEpsilon) {
        self.alpha = alpha
        self.temperature = temperature
        self.epsilon = epsilon
    }

    /// Throws unless α ∈ [0, 1], τ > 0 and ε ≥ 0, all finite.
    public func validate() throws {
        guard alpha.isFinite, alpha >= 0, alpha <= 1 else {
            throw HDRecInferenceError.invalidParameter(name: "alpha", value: "\(alpha)", expected: "a number in [0, 1]")
        }
        guard temperature.isFinite, temperature > 0 else {
            throw HDRecInferenceError.invalidParameter(name: "fusion temperature", value: "\(temperature)", expected: "a finite number > 0")
        }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw HDRecInferenceError.invalidParameter(name: "epsilon", value: "\(epsilon)", expected: "a finite number >= 0")
        }
    }
}

/// The fused row plus the parts it was made of (for `explain`).
public struct FusedScores: Sendable, Equatable {
    /// The ranking score of each item (Eq. 18 or the chosen variant). [items]
    public var final: [Float]
    /// z_text: the text pass's IPL logits. [items]
    public var text: [Float]
    /// z_id: the ID pass's IPL logits. [items]
    public var id: [Float]
    /// E of Eq. 17 computed on the ID pass (with the request's α and τ): what
    /// the ID pass adds to z_text under `text-dominant`. Reported for every
    /// method so that `explain` always means the same thing. [items]
    public var idBoost: [Float]
    /// E of Eq. 17 computed on the text pass, for `id-dominant` and `confidence`; nil otherwise.
    public var textBoost: [Float]?
}

/// Eqs. 13-18 as separately testable stages.
public enum Fusion {
    /// Eq. 13: the mean logit, accumulated in Double so that 10⁴-10⁵ items lose no precision.
    public static func mean(_ z: [Float]) -> Double {
        guard !z.isEmpty else { return 0 }
        var sum = 0.0
        for v in z { sum += Double(v) }
        return sum / Double(z.count)
    }

    /// Eq. 14: σ((z − μ) / τ) per item.
    public static func confidence(_ z: [Float], mean: Double, temperature: Float) -> [Float] {
        let tau = Double(temperature)
        return z.map { v in Float(1 / (1 + Foundation.exp(-(Double(v) - mean) / tau))) }
    }

    /// Eq. 15: the smallest logit (NaNs are skipped; an empty or all-NaN row gives 0).
    public static func minimum(_ z: [Float]) -> Float {
        var m = Float.infinity
        for v in z where v < m { m = v }
        return m.isFinite ? m : 0
    }

    /// Eq. 16: z − m + ε, so every value is positive.
    public static func adjusted(_ z: [Float], minimum m: Float, epsilon: Float) -> [Float] {
        z.map { ($0 - m) + epsilon }
    }

    /// Eq. 17: E = α · (z − min z + ε) ⊙ σ((z − mean z) / τ), i.e. Eqs. 13-17 in order.
    public static func enhancement(_ z: [Float], parameters p: FusionParameters) -> [Float] {
        let s = confidence(z, mean: mean(z), temperature: p.temperature)
        let adj = adjusted(z, minimum: minimum(z), epsilon: p.epsilon)
        var e = [Float](repeating: 0, count: z.count)
        for i in 0 ..< z.count { e[i] = p.alpha * adj[i] * s[i] }
        return e
    }

    /// Fuses one request's two rows by `method`.
    /// - Parameters:
    ///   - text: z_text, the IPL logits of the text pass. [items]
    ///   - id: z_id, the IPL logits of the ID pass. [items]
    public static func fuse(text: [Float], id: [Float], method: FusionMethod,
                            parameters p: FusionParameters) throws -> FusedScores {
        guard text.count == id.count else {
            throw HDRecInferenceError.scoreLengthMismatch(text: text.count, id: id.count)
        }
        try p.validate()
        let idBoost = enhancement(id, parameters: p)
        var textBoost: [Float]? = nil
        var final: [Float]
        switch method {
        case .textDominant:
            final = zip(text, idBoost).map { $0 + $1 }
        case .idDominant:
            let e = enhancement(text, parameters: p)
            textBoost = e
            final = zip(id, e).map { $0 + $1 }
        case .confidence:
            var unit = p
            unit.alpha = 1
            let e = enhancement(text, parameters: unit)
            textBoost = e
            final = zip(e, enhancement(id, parameters: unit)).map { $0 + $1 }
        case .textPass:
            final = text
        case .idPass:
            final = id
        }
        return FusedScores(final: final, text: text, id: id, idBoost: idBoost, textBoost: textBoost)
    }
}
