// The prefix cache across requests (docs/service.md "Prefix cache"): a returning user whose history grew reuses
// the keys and values of the whole previous prompt in both passes, a repeated request all
// but its last position, the scores equal those of an uncached model within 1e-4, a swap (a
// new model) starts empty, the budget evicts, and a history past the prompt window reuses
// only the shared instruction.
import Foundation
import Testing
import Llama
@testable import HDRecInference

@Suite("Prefix cache across requests", .serialized)
struct PrefixCacheTests {
    static func model(_ b: StoriesBundle, _ policy: PrefixCachePolicy) throws -> HDRecModel {
        try HDRecModel.load(bundle: b.dir, basePath: Stories.ggufPath, prefixCache: policy).model
    }

    /// A model with a 64 MiB cache, and the counters it reports to.
    static func cachedModel(_ b: StoriesBundle) throws -> (HDRecModel, PrefixCacheStats) {
        let stats = PrefixCacheStats()
        return (try model(b, PrefixCachePolicy(capacityBytes: 64 << 20, stats: stats)), stats)
    }

    static func maxDifference(_ a: HDRecModel.PassScores, _ b: HDRecModel.PassScores) -> Float {
        var worst: Float = 0
        for (x, y) in zip(a.text + a.id, b.text + b.id) {
            for (u, v) in zip(x, y) { worst = max(worst, abs(u - v)) }
        }
        return worst
    }

    @Test("a growing history reuses the whole previous prompt of both passes; scores equal the uncached model's within 1e-4")
    func returningUser() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let (cached, stats) = try Self.cachedModel(b)
        let uncached = try Self.model(b, .disabled)
        var history = [3]
        for next in [7, 1, 9, 4] {
            let first = stats.snapshot
            let a = try cached.passScores(histories: [history])
            let expected = try uncached.passScores(histories: [history])
            #expect(Self.maxDifference(a, expected) < 1e-4)
            let after = stats.snapshot
            #expect(after.lookups - first.lookups == 2)  // one per pass
            if history.count > 1 {
                // Item-aligned blocks: both passes take over every position of the previous prompt.
                let previous = try cached.prompts.userPrompts(history: Array(history.dropLast()))
                #expect(after.hits - first.hits == 2)
                #expect(after.reusedPositions - first.reusedPositions == previous.text.count + previous.id.count)
            }
            history.append(next)
        }
        #expect(stats.snapshot.bytes > 0)
    }

    @Test("a repeated request recomputes only its last position, with the same scores")
    func repeatedRequest() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let (cached, stats) = try Self.cachedModel(b)
        let history = [2, 5, 8]
        let first = try cached.passScores(histories: [history])
        let before = stats.snapshot
        let again = try cached.passScores(histories: [history])
        let prompts = try cached.prompts.userPrompts(history: history)
        #expect(stats.snapshot.reusedPositions - before.reusedPositions == prompts.text.count - 1 + prompts.id.count - 1)
        #expect(Self.maxDifference(first, again) < 1e-4)
        #expect(Self.maxDifference(again, try Self.model(b, .disabled).passScores(histories: [history])) < 1e-4)
    }

    @Test("batched requests with different cached prefixes give the uncached scores")
    func batchOfMixedPrefixes() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let cached = try Self.model(b, PrefixCachePolicy(capacityBytes: 64 << 20))
        let uncached = try Self.model(b, .disabled)
        _ = try cached.passScores(histories: [[1, 2, 3], [5]])
        let histories = [[1, 2, 3, 4], [5, 6], [8, 9, 10], [1, 2]]
        let a = try cached.passScores(histories: histories)
        let expected = try uncached.passScores(histories: histories)
        #expect(Self.maxDifference(a, expected) < 1e-4)
    }

    @Test("a new model (a swap) starts with an empty cache; the budget evicts the least recently used blocks")
    func swapAndBudget() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let stats = PrefixCacheStats()
        let policy = PrefixCachePolicy(capacityBytes: 64 << 20, stats: stats)
        let first = try Self.model(b, policy)
        _ = try first.passScores(histories: [[1, 2, 3, 4]])
        let before = stats.snapshot
        let second = try Self.model(b, policy)
        _ = try second.passScores(histories: [[1, 2, 3, 4, 5]])
        #expect(stats.snapshot.hits == before.hits)  // nothing carried over
        // A budget of a few blocks: a long stream of distinct users evicts, and the bytes
        // held stay within the budget.
        let small = PrefixCacheStats()
        let tiny = try Self.model(b, PrefixCachePolicy(capacityBytes: 40_000, stats: small))
        for u in 0 ..< 8 { _ = try tiny.passScores(histories: [[u, (u + 1) % 12, (u + 2) % 12]]) }
        #expect(small.snapshot.evictedBlocks > 0)
        #expect(small.snapshot.bytes <= 40_000)
    }

    @Test("past the prompt window the oldest item drops out, positions shift, and only P_u is reused")
    func windowShift() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let (cached, stats) = try Self.cachedModel(b)
        let window = cached.prompts.configuration.maxItems
        let long = (0 ..< window).map { $0 % 12 }
        _ = try cached.passScores(histories: [long])
        let before = stats.snapshot
        let shifted = try cached.passScores(histories: [long + [11]])
        let after = stats.snapshot
        #expect(try cached.prompts.userPrompts(history: long + [11]).text.items.first == 1)  // the oldest item did drop out
        #expect(after.reusedPositions - before.reusedPositions == 2 * cached.prompts.userPrefix.count)
        #expect(after.hits == before.hits)
        #expect(Self.maxDifference(shifted, try Self.model(b, .disabled).passScores(histories: [long + [11]])) < 1e-4)
    }
}
