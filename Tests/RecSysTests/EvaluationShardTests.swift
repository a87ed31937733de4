// The data-parallel evaluation hook (EvaluationShard): two shards, each scoring its users and
// combining by a sum, must report what one process reports, ties and masked results included.
import Foundation
import Testing
@testable import RecSys

@Suite("Sharded evaluation")
struct EvaluationShardTests {
    func dataset() throws -> Dataset {
        let items = (0..<6).map { Item(id: "i\($0)", title: "t\($0)") }
        return try Dataset(name: "t", items: items, userIDs: ["a", "b", "c", "d", "e"],
                           sequences: [[0, 1, 2, 3], [4, 5, 0, 1, 5], [2, 3, 4], [1, 2, 3], [5, 4, 3, 2]])
    }

    /// Scores with a tie between items 0 and 1 (so tie counts are exercised), else by index.
    let scorer = ClosureScorer { users, _, out in
        for b in users.indices { for i in 0 ..< 6 { out[b * 6 + i] = i == 0 ? 1 : Float(i) } }
    }

    /// A thread-safe slot for the per-user arrays one shard contributes.
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var parts: [[Double]] = []
        func add(_ v: [Double]) { lock.lock(); parts.append(v); lock.unlock() }
        func part(_ i: Int) -> [Double] { lock.lock(); defer { lock.unlock() }; return parts[i] }
    }

    @Test("two shards combined by a sum give the single-process ranks, ties and masked results")
    func shardsCombine() throws {
        let d = try dataset()
        var whole = EvaluationOptions(maskHistory: true, batchSize: 2, showProgress: false)
        let single = try Evaluator.evaluate(dataset: d, scorer: scorer, options: whole)

        // Rank 1 runs first and keeps its per-user arrays (one per split); rank 0 then adds them,
        // as the all-reduce would.
        let rank1 = Box()
        whole.shard = EvaluationShard(range: { n in (n / 2) ..< n }, combine: { v in rank1.add(v); return v })
        _ = try Evaluator.evaluate(dataset: d, scorer: scorer, options: whole)
        let calls = Box()
        whole.shard = EvaluationShard(range: { n in 0 ..< n / 2 }, combine: { v in
            calls.add([])
            let other = rank1.part(calls.parts.count - 1)
            return zip(v, other).map { $0 + $1 }
        })
        let sharded = try Evaluator.evaluate(dataset: d, scorer: scorer, options: whole)
        #expect(sharded.results.map(\.name) == single.results.map(\.name))
        for (a, b) in zip(sharded.results, single.results) {
            #expect(a.ranks == b.ranks, "\(a.name)")
            #expect(a.tiedTargets == b.tiedTargets && a.mostTiedItems == b.mostTiedItems, "\(a.name) ties")
        }
        #expect(sharded.userIDs == single.userIDs)
        // A shard alone (nothing combined) misses the other users' ranks: the test can fail.
        whole.shard = EvaluationShard(range: { n in 0 ..< n / 2 }, combine: { $0 })
        let alone = try Evaluator.evaluate(dataset: d, scorer: scorer, options: whole)
        #expect(alone.results[0].ranks != single.results[0].ranks)
    }
}
