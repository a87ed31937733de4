// Next-token choice from logits (llama2.c sample/sample_mult): temperature 0 is argmax,
// otherwise softmax(logits / T) sampled with a seeded SplitMix64, so a given seed
// always gives the same text. Optional top-k keeps only the k most likely tokens.
import Foundation

/// A seeded token sampler.
public struct Sampler: Sendable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// When set, sample only among the `topK` highest logits.
    public var topK: Int?
    private var rng: SplitMix64

    public init(temperature: Float = 0, topK: Int? = nil, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        rng = SplitMix64(seed: seed)
    }

    /// The index of the largest logit (the first one on ties), or 0 for an empty input.
    public static func argmax<C: Collection>(_ logits: C) -> Int32 where C.Element == Float {
        var best = 0, bestValue = -Float.infinity, i = 0
        for v in logits {
            if v > bestValue { best = i; bestValue = v }
            i += 1
        }
        return Int32(best)
    }

    /// Picks the next token id from one row of logits.
    public mutating func sample<C: Collection>(_ logits: C) -> Int32 where C.Element == Float {
        guard temperature > 0, !logits.isEmpty else { return Self.argmax(logits) }
        var candidates = Array(logits.enumerated().map { (id: $0.offset, logit: $0.element) })
        if let k = topK, k > 0, k < candidates.count {
            candidates.sort { $0.logit > $1.logit }
            candidates.removeLast(candidates.count - k)
        }
        let maxLogit = candidates.map(\.logit).max() ?? 0
        var weights = candidates.map { Double(($0.logit - maxLogit) / temperature) }
        var total: Double = 0
        for i in weights.indices { weights[i] = exp(weights[i]); total += weights[i] }
        let target = Double(rng.nextFloat()) * total
        var acc: Double = 0
        for (i, w) in weights.enumerated() {
            acc += w
            if target < acc { return Int32(candidates[i].id) }
        }
        return Int32(candidates[candidates.count - 1].id)
    }
}


