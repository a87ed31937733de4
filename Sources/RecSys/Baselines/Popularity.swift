// The most-popular baseline: every user gets the same ranking, by how often
// each item occurs in the training part of all sequences (validation and test
// targets excluded, as RecBole's Pop trains on the training split only).
// Ties in count are broken by item index, so the baseline is a strict ranking
// and does not profit from the tie rule of the evaluation harness.

/// Scores items by training-set popularity.
public struct PopularityScorer: RankingScorer {
    /// Per item: a distinct score, higher for more popular (count desc, then index asc).
    public let itemScores: [Float]
    /// Per item: training occurrences.
    public let counts: [Int]

    public init(dataset: Dataset) {
        var counts = [Int](repeating: 0, count: dataset.numItems)
        for u in 0..<dataset.numUsers { for i in dataset.train(u) { counts[i] += 1 } }
        let order = (0..<dataset.numItems).sorted { (counts[$0], -$0) > (counts[$1], -$1) }
        var scores = [Float](repeating: 0, count: dataset.numItems)
        for (position, item) in order.enumerated() { scores[item] = Float(dataset.numItems - position) }
        self.counts = counts
        self.itemScores = scores
    }

    public func scores(users: [Int], split: Split, into out: UnsafeMutableBufferPointer<Float>) throws {
        let n = itemScores.count
        for b in 0..<users.count {
            for i in 0..<n { out[b * n + i] = itemScores[i] }
        }
    }
}
