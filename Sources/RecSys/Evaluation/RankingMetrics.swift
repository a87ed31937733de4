// Full-ranking metrics (paper §4.1.2; docs/public-code.md §7).
// Tie rule: rank = the number of items scoring strictly higher than the target
// (0-based), so items tied with the target count in its favour, as in the
// reference `Ranker`. A NaN target score gets the worst rank (n - 1): a broken
// model must never look good; NaN scores of other items never outrank it.
// Metrics per user: MRR = 1/(r+1) (not truncated), Recall@K = HR@K = [r < K],
// NDCG@K = [r < K] / log2(r + 2). Averages are exact over users (a Double sum
// divided by the user count), not means of batch means.
import Foundation

public enum RankingMetrics {
    /// The cut-offs reported.
    public static let ks = [1, 5, 10, 20, 50]

    /// Metric names in report order: MRR, Recall@K..., NDCG@K...
    public static let names: [String] = ["MRR"] + ks.map { "Recall@\($0)" } + ks.map { "NDCG@\($0)" }

    /// The 0-based rank of `target` among `scores` (ties in the target's favour).
    public static func rank(scores: UnsafeBufferPointer<Float>, target: Int) -> Int {
        let t = scores[target]
        if t.isNaN { return scores.count - 1 }
        var higher = 0
        for s in scores where s > t { higher += 1 }
        return higher
    }

    /// How many other items score exactly the target's score (0 for a NaN target). The
    /// tie rule counts them in the target's favour, which is harmless for the occasional
    /// exact float tie but makes a constant (collapsed) score row rank every target first:
    /// the evaluator counts such targets so that a report can say so.
    public static func ties(scores: UnsafeBufferPointer<Float>, target: Int) -> Int {
        let t = scores[target]
        if t.isNaN { return 0 }
        var equal = 0
        for s in scores where s == t { equal += 1 }
        return equal - 1
    }

    /// Convenience for arrays.
    public static func ties(scores: [Float], target: Int) -> Int {
        scores.withUnsafeBufferPointer { ties(scores: $0, target: target) }
    }

    /// Convenience for arrays.
    public static func rank(scores: [Float], target: Int) -> Int {
        scores.withUnsafeBufferPointer { rank(scores: $0, target: target) }
    }

    /// The value of metric `name` for one user with 0-based rank `r`.
    public static func value(_ name: String, rank r: Int) -> Double {
        if name == "MRR" { return 1 / Double(r + 1) }
        if name.hasPrefix("Recall@"), let k = Int(name.dropFirst(7)) { return r < k ? 1 : 0 }
        if name.hasPrefix("NDCG@"), let k = Int(name.dropFirst(5)) { return r < k ? 1 / log2(Double(r + 2)) : 0 }
        return .nan
    }

    /// All metrics, averaged exactly over the given per-user ranks, in `names` order.
    public static func summarize(ranks: [Int]) -> [(name: String, value: Double)] {
        names.map { name in
            guard !ranks.isEmpty else { return (name, Double.nan) }
            var sum = 0.0
            for r in ranks { sum += value(name, rank: r) }
            return (name, sum / Double(ranks.count))
        }
    }
}
