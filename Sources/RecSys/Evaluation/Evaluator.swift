// The evaluation harness every model shares (SASRec, popularity, HDRec): for
// each user and split it asks a scorer for scores over all items, ranks the
// leave-one-out target among all of them (full ranking, no sampling), and
// aggregates exactly. Optionally it also reports "masked" results, where the
// user's history items other than the target are set to -inf before ranking;
// the paper does not mask, so masking is off by default and reported under
// separate keys (`valid_masked`, `test_masked`).
import Foundation
import Support

/// Anything that scores all items for a batch of users at a split.
public protocol RankingScorer {
    /// Writes the scores of every item for each user: `out[b * numItems + i]`,
    /// predicting the target of `split` for `users[b]` from `dataset.history(users[b], for: split)`.
    func scores(users: [Int], split: Split, into out: UnsafeMutableBufferPointer<Float>) throws
}

/// A scorer from a closure.
public struct ClosureScorer: RankingScorer {
    let body: ([Int], Split, UnsafeMutableBufferPointer<Float>) throws -> Void
    public init(_ body: @escaping ([Int], Split, UnsafeMutableBufferPointer<Float>) throws -> Void) { self.body = body }
    public func scores(users: [Int], split: Split, into out: UnsafeMutableBufferPointer<Float>) throws {
        try body(users, split, out)
    }
}

/// Options for an evaluation pass.
public struct EvaluationOptions: Sendable {
    public var splits: [Split] = [.valid, .test]
    /// Also report results with history items masked (under `<split>_masked`).
    public var maskHistory = false
    public var batchSize = 256
    /// Evaluate only these users (default: all).
    public var users: [Int]? = nil
    public var showProgress = true
    public init(splits: [Split] = [.valid, .test], maskHistory: Bool = false, batchSize: Int = 256,
                users: [Int]? = nil, showProgress: Bool = true) {
        self.splits = splits
        self.maskHistory = maskHistory
        self.batchSize = batchSize
        self.users = users
        self.showProgress = showProgress
    }
}

public enum Evaluator {
    /// Ranks every user's target at each split and returns per-user ranks and exact averages.
    public static func evaluate(dataset: Dataset, scorer: RankingScorer, options: EvaluationOptions = EvaluationOptions()) throws -> EvaluationReport {
        let n = dataset.numItems
        let users = options.users ?? Array(0..<dataset.numUsers)
        let batch = max(1, options.batchSize)
        var results: [SplitResult] = []
        var buffer = [Float](repeating: 0, count: batch * n)
        for split in options.splits {
            var ranks = [Int](repeating: 0, count: users.count)
            var masked = [Int](repeating: 0, count: options.maskHistory ? users.count : 0)
            // Items tied with each user's target (0: none).
            var ties = [Int](repeating: 0, count: users.count)
            var tiesMasked = [Int](repeating: 0, count: options.maskHistory ? users.count : 0)
            let bar = ProgressBar(label: "evaluate \(split.rawValue)", total: users.count, enabled: options.showProgress)
            var start = 0
            while start < users.count {
                let chunk = Array(users[start..<min(users.count, start + batch)])
                try buffer.withUnsafeMutableBufferPointer { all in
                    let out = UnsafeMutableBufferPointer(rebasing: all[0..<(chunk.count * n)])
                    try scorer.scores(users: chunk, split: split, into: out)
                    for (b, u) in chunk.enumerated() {
                        let row = UnsafeMutableBufferPointer(rebasing: out[(b * n)..<((b + 1) * n)])
                        let target = dataset.target(u, for: split)
                        ranks[start + b] = RankingMetrics.rank(scores: UnsafeBufferPointer(row), target: target)
                        ties[start + b] = RankingMetrics.ties(scores: UnsafeBufferPointer(row), target: target)
                        if options.maskHistory {
                            for h in dataset.history(u, for: split) where h != target { row[h] = -.infinity }
                            masked[start + b] = RankingMetrics.rank(scores: UnsafeBufferPointer(row), target: target)
                            tiesMasked[start + b] = RankingMetrics.ties(scores: UnsafeBufferPointer(row), target: target)
                        }
                    }
                }
                bar.advance(by: chunk.count)
                start += chunk.count
            }
            bar.finish()
            results.append(SplitResult(name: split.rawValue, ranks: ranks, tiedTargets: ties.filter { $0 > 0 }.count,
                                       mostTiedItems: ties.max() ?? 0))
            if options.maskHistory {
                results.append(SplitResult(name: split.rawValue + "_masked", ranks: masked, tiedTargets: tiesMasked.filter { $0 > 0 }.count,
                                           mostTiedItems: tiesMasked.max() ?? 0))
            }
        }
        return EvaluationReport(userIDs: users.map { dataset.userIDs[$0] }, results: results)
    }
}
