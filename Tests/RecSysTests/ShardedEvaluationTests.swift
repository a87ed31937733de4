// The sharded evaluation must hand every rank exactly the report of one process: the same
// users in the same order, the same per-user ranks (so metrics.json, ranks.tsv and the
// paired t-tests are unchanged), tie counts and masked results, for any number of ranks,
// including more ranks than users.
import Distributed
import Support
import Testing
@testable import RecSys

@Suite("Sharded evaluation")
struct ShardedEvaluationTests {
    /// 7 users over 12 items, and scores that depend only on (user, split, item), with ties.
    static func fixture() throws -> (Dataset, ClosureScorer) {
        let items = (0..<12).map { Item(id: "i\($0)", title: "t") }
        let sequences = (0..<7).map { u in (0..<(4 + u % 3)).map { (u * 5 + $0 * 7) % 12 } }
        let dataset = try Dataset(name: "shards", items: items, userIDs: (0..<7).map { "u\($0)" }, sequences: sequences)
        let scorer = ClosureScorer { users, split, out in
            for (b, u) in users.enumerated() {
                for i in 0..<12 { out[b * 12 + i] = Float((u * 31 + i * 17 + (split == .test ? 5 : 0)) % 9) }
            }
        }
        return (dataset, scorer)
    }

    @Test("every rank gets one process's ranks, ties and masked results", arguments: [2, 3, 9])
    func combinedEqualsSingle(size: Int) throws {
        let (dataset, scorer) = try Self.fixture()
        let options = EvaluationOptions(maskHistory: true, batchSize: 2, users: [6, 0, 3, 1, 5, 2, 4], showProgress: false)
        let single = try Evaluator.evaluate(dataset: dataset, scorer: scorer, options: options)
        let reports = try ThreadedRanks.run(size: size) { ranks in
            try Evaluator.evaluate(dataset: dataset, scorer: scorer, options: options, communicator: ranks)
        }
        #expect(single.results.contains { $0.tiedTargets > 0 })
        for (rank, report) in reports.enumerated() {
            #expect(report.userIDs == single.userIDs, "rank \(rank)")
            #expect(report.results.map(\.name) == single.results.map(\.name), "rank \(rank)")
            for (a, b) in zip(report.results, single.results) {
                #expect(a.ranks == b.ranks, "rank \(rank), \(a.name)")
                #expect(a.tiedTargets == b.tiedTargets && a.mostTiedItems == b.mostTiedItems, "rank \(rank), \(a.name)")
            }
            #expect(report.ranksTSV == single.ranksTSV && report.metricsJSON == single.metricsJSON)
        }
    }

    @Test("each rank scores only its own shard of the users")
    func scoresOnlyItsShard() throws {
        let (dataset, _) = try Self.fixture()
        let scored = try ThreadedRanks.run(size: 2) { ranks in
            let seen = ScoredUsers()
            let scorer = ClosureScorer { users, _, out in
                seen.add(users)
                for i in out.indices { out[i] = Float(i % 5) }
            }
            _ = try Evaluator.evaluate(dataset: dataset, scorer: scorer, options: EvaluationOptions(splits: [.valid], showProgress: false),
                                       communicator: ranks)
            return seen.users
        }
        #expect(scored == [[0, 1, 2, 3], [4, 5, 6]])
    }

    final class ScoredUsers: @unchecked Sendable {
        var users: [Int] = []
        func add(_ u: [Int]) { users += u }
    }
}
