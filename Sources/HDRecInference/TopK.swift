// Top-k selection over one fused score row, with optional exclusions.
//
// Order: higher score first; equal scores go to the lower item index first
// (so the result is deterministic and independent of the selection
// algorithm); NaN scores rank below every number. This is the order
// `hdrec recommend`, `hdrec evaluate` and the server all share.

/// One recommended item: its IPL index and fused score.
public struct ScoredItem: Sendable, Equatable, Codable {
    public var index: Int
    public var score: Float

    public init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}

public enum TopK {
    /// True when item `a` (score `sa`) ranks before item `b` (score `sb`).
    @inline(__always)
    public static func ranksBefore(_ sa: Float, _ a: Int, _ sb: Float, _ b: Int) -> Bool {
        if sa.isNaN || sb.isNaN {
            if sa.isNaN != sb.isNaN { return sb.isNaN }
            return a < b
        }
        if sa != sb { return sa > sb }
        return a < b
    }

    /// The best `k` items of `scores`, best first, skipping indices in `excluding`.
    /// Returns fewer than `k` when fewer items remain; `k <= 0` returns none.
    public static func select(_ scores: [Float], k: Int, excluding: Set<Int> = []) -> [ScoredItem] {
        guard k > 0 else { return [] }
        // A bounded insertion list is O(n·k) but beats a full sort for the usual k ≤ 100.
        if k <= 64 {
            var best: [ScoredItem] = []
            best.reserveCapacity(k + 1)
            for (i, s) in scores.enumerated() where !excluding.contains(i) {
                if best.count == k, let last = best.last, !ranksBefore(s, i, last.score, last.index) { continue }
                var pos = best.count
                while pos > 0, ranksBefore(s, i, best[pos - 1].score, best[pos - 1].index) { pos -= 1 }
                best.insert(ScoredItem(index: i, score: s), at: pos)
                if best.count > k { best.removeLast() }
            }
            return best
        }
        var order = scores.indices.filter { !excluding.contains($0) }
        order.sort { ranksBefore(scores[$0], $0, scores[$1], $1) }
        return order.prefix(k).map { ScoredItem(index: $0, score: scores[$0]) }
    }
}
