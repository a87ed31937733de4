// Evaluation split across data-parallel ranks: each rank ranks the targets of its contiguous
// shard of the users (BatchSharding), then the per-user ranks are summed across ranks into
// the full list (every other rank contributes zeros there), so every rank ends with exactly
// the report one process would produce: the same ranks in the same user order, hence the
// same metrics.json, ranks.tsv and paired t-test inputs. Every rank gets it, so a trainer's
// early-stopping decision is the same on all of them.
//
// Ranks travel as Double: exact for any rank below 2^53.
import Distributed

extension Evaluator {
    /// `evaluate` over this rank's shard of the users, combined across `communicator` (a
    /// collective: every rank calls it with the same dataset, options and a scorer of the same
    /// model). With one rank it is `evaluate` itself. Only rank 0 shows progress.
    public static func evaluate(dataset: Dataset, scorer: RankingScorer, options: EvaluationOptions,
                                communicator: any Communicator) throws -> EvaluationReport {
        if communicator.size == 1 { return try evaluate(dataset: dataset, scorer: scorer, options: options) }
        let users = options.users ?? Array(0..<dataset.numUsers)
        let shard = try BatchSharding.range(count: users.count, rank: communicator.rank, size: communicator.size)
        var local = options
        local.users = Array(users[shard])
        local.showProgress = options.showProgress && communicator.isRoot
        let part = try evaluate(dataset: dataset, scorer: scorer, options: local)
        var results: [SplitResult] = []
        for r in part.results {
            // [users] ranks at their global places, then the tied-target count.
            var sums = [Double](repeating: 0, count: users.count + 1)
            for (i, rank) in r.ranks.enumerated() { sums[shard.lowerBound + i] = Double(rank) }
            sums[users.count] = Double(r.tiedTargets)
            try communicator.allReduceSum(&sums)
            let mostTied = try communicator.max(Double(r.mostTiedItems))
            results.append(SplitResult(name: r.name, ranks: sums[0..<users.count].map { Int($0) },
                                       tiedTargets: Int(sums[users.count]), mostTiedItems: Int(mostTied)))
        }
        return EvaluationReport(userIDs: users.map { dataset.userIDs[$0] }, results: results)
    }
}
