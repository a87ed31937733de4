// How the two passes of a trained run relate, measured while `hdrec evaluate` scores
// users: the evidence behind RESULTS.md's "why fusion adds nothing over the text pass".
// Eq. 17's ID-enhancement term can only change the text pass's ranking where the ID pass
// disagrees with it, and a pass that ranks like the popularity prior carries no personal
// signal. So, per user row and pass (z_text, z_id: [I] logits):
//   - Spearman correlation of z_text with z_id over all items, and the overlap of their top 10;
//   - Spearman correlation of each pass with training popularity (RecSys.PopularityScorer's
//     strict ranking), and the overlap of each pass's top 10 with the 10 most popular items;
//   - the entropy of softmax(z) in nats (ln I = a uniform pass);
//   - personalisation: the overlap of each row's top 10 with the previous row's (another
//     user), per pass: 1 means every user gets the same list, whatever the history.
// Averages over rows. Spearman over ranks with ties broken by index, which is exact for
// continuous scores.
import Foundation
import HDRecInference
import RecSys

/// Running means of agreement statistics between the text pass, the ID pass and popularity.
public struct PassDiagnostics: Sendable, Codable, Equatable {
    /// User rows seen (a user evaluated on two splits counts twice).
    public var rows = 0
    public var textIDSpearman = 0.0
    public var textIDTop10Overlap = 0.0
    public var textPopularitySpearman = 0.0
    public var idPopularitySpearman = 0.0
    public var textPopularityTop10Overlap = 0.0
    public var idPopularityTop10Overlap = 0.0
    /// Mean softmax entropy, nats.
    public var textEntropy = 0.0
    public var idEntropy = 0.0
    /// ln(number of items): the entropy of a uniform pass.
    public var uniformEntropy = 0.0
    /// Mean top-10 overlap between consecutive user rows, per pass (over rows − 1 pairs).
    public var textUserToUserTop10Overlap = 0.0
    public var idUserToUserTop10Overlap = 0.0

    /// The same for the fused ranking the evaluation serves (nil when no fusion was given).
    public var fusedUserToUserTop10Overlap: Double? = nil
    public init() {}
}

/// Accumulates ``PassDiagnostics`` over batches of pass rows.
public struct PassDiagnosticsAccumulator: Sendable {
    /// Popularity rank of each item, 0 = most popular. [I]
    private let popularityRank: [Int]
    private let popularTop10: Set<Int>
    private var sums = PassDiagnostics()
    private var previousTop10: (text: Set<Int>, id: Set<Int>)?
    /// The served fusion, for the fused ranking's personalisation; nil: not measured.
    private let fusion: (method: FusionMethod, parameters: FusionParameters)?
    private var previousFusedTop10: Set<Int>?
    private var fusedSum = 0.0

    public init(popularity: PopularityScorer, fusion: (method: FusionMethod, parameters: FusionParameters)? = nil) {
        self.init(popularityScores: popularity.itemScores, fusion: fusion)
    }

    /// `popularityScores[i]`: higher = more popular. [I]
    public init(popularityScores: [Float], fusion: (method: FusionMethod, parameters: FusionParameters)? = nil) {
        self.fusion = fusion
        let n = popularityScores.count
        let ranks = Self.descendingRanks(popularityScores)
        popularityRank = ranks
        popularTop10 = Set((0..<n).filter { ranks[$0] < 10 })
        sums.uniformEntropy = log(Double(max(1, n)))
    }

    /// Adds one batch: `text[b]` and `id[b]` are the two passes' logits for user row b.
    public mutating func add(text: [[Float]], id: [[Float]]) {
        for (t, d) in zip(text, id) where t.count == popularityRank.count && d.count == popularityRank.count {
            let tr = Self.descendingRanks(t), dr = Self.descendingRanks(d)
            sums.rows += 1
            sums.textIDSpearman += Self.spearman(tr, dr)
            sums.textPopularitySpearman += Self.spearman(tr, popularityRank)
            sums.idPopularitySpearman += Self.spearman(dr, popularityRank)
            let tTop = Self.top10(tr), dTop = Self.top10(dr)
            sums.textIDTop10Overlap += Double(tTop.intersection(dTop).count) / 10
            sums.textPopularityTop10Overlap += Double(tTop.intersection(popularTop10).count) / 10
            sums.idPopularityTop10Overlap += Double(dTop.intersection(popularTop10).count) / 10
            sums.textEntropy += Self.softmaxEntropy(t)
            sums.idEntropy += Self.softmaxEntropy(d)
            if let previous = previousTop10 {
                sums.textUserToUserTop10Overlap += Double(tTop.intersection(previous.text).count) / 10
                sums.idUserToUserTop10Overlap += Double(dTop.intersection(previous.id).count) / 10
            }
            previousTop10 = (tTop, dTop)
            if let fusion, let fused = try? Fusion.fuse(text: t, id: d, method: fusion.method, parameters: fusion.parameters) {
                let fTop = Self.top10(Self.descendingRanks(fused.final))
                if let previous = previousFusedTop10 { fusedSum += Double(fTop.intersection(previous).count) / 10 }
                previousFusedTop10 = fTop
            }
        }
    }

    /// The means so far.
    public var result: PassDiagnostics {
        var r = sums
        guard r.rows > 0 else { return r }
        let n = Double(r.rows)
        r.textIDSpearman /= n; r.textIDTop10Overlap /= n
        r.textPopularitySpearman /= n; r.idPopularitySpearman /= n
        r.textPopularityTop10Overlap /= n; r.idPopularityTop10Overlap /= n
        r.textEntropy /= n; r.idEntropy /= n
        if r.rows > 1 {
            r.textUserToUserTop10Overlap /= n - 1; r.idUserToUserTop10Overlap /= n - 1
            if fusion != nil { r.fusedUserToUserTop10Overlap = fusedSum / (n - 1) }
        }
        return r
    }

    /// rank[i] = position of item i when sorted by score, highest first (ties: lower index first).
    static func descendingRanks(_ scores: [Float]) -> [Int] {
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        var rank = [Int](repeating: 0, count: scores.count)
        for (position, item) in order.enumerated() { rank[item] = position }
        return rank
    }

    /// Spearman's ρ of two permutation rankings: 1 − 6 Σd² / (n(n² − 1)).
    static func spearman(_ a: [Int], _ b: [Int]) -> Double {
        let n = Double(a.count)
        guard n > 1 else { return 0 }
        var sum = 0.0
        for i in a.indices { let d = Double(a[i] - b[i]); sum += d * d }
        return 1 - 6 * sum / (n * (n * n - 1))
    }

    static func top10(_ rank: [Int]) -> Set<Int> { Set(rank.indices.filter { rank[$0] < 10 }) }

    /// H(softmax(z)) = log Σ e^z − Σ p z, computed around the max for stability.
    static func softmaxEntropy(_ z: [Float]) -> Double {
        guard let m = z.max() else { return 0 }
        var total = 0.0, weighted = 0.0
        for v in z { let e = exp(Double(v - m)); total += e; weighted += e * Double(v - m) }
        return log(total) - weighted / total
    }
}
