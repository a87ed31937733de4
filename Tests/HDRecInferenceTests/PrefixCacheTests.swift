// The prefix cache across requests (docs/service.md "Prefix cache"): a returning user whose history grew reuses
// the keys and values of the unchanged part of both prompts, the scores equal those of an
// uncached model within 1e-4, a swap (a new model) starts empty, the budget evicts, and a
// history past the prompt window reuses only the shared instruction.
import Foundation
import Testing
import Llama
@testable import HDRecInference

@Suite("Prefix cache across requests", .serialized)
struct PrefixCacheTests {
    static func model(_ b: StoriesBundle, _ policy: PrefixCachePolicy) throws -> HDRecModel {
        try HDRecModel.load(bundle: b.dir, basePath: Stories.ggufPath, prefixCache: policy).model
    }

    static func maxDifference(_ a: HDRecModel.PassScores, _ b: HDRecModel.PassScores) -> Float {
        var worst: Float = 0
        for (x, y) in zip(a.text + a.id, b.text + b.id) {
            for (u, v) in zip(x, y) { worst = max(worst, abs(u - v)) }
        }
        return worst
    }

    @Test("a growing history reuses the unchanged prefix of both passes; scores equal the uncached model's within 1e-4")
    func returningUser() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let stats = PrefixCacheStats()
        let cached = try Self.model(b, PrefixCachePolicy(capacityBytes: 64 << 20, blockSize: 4, stats: stats))
        let uncached = try Self.model(b, .disabled)
        let prefix = cached.prompts.userPrefix.count
        var history = [3]
        for next in [7, 1, 9, 4] {
            let first = stats.snapshot
            let a = try cached.passScores(histories: [history])
            let expected = try uncached.passScores(histories: [history])
            #expect(Self.maxDifference(a, expected) < 1e-4)
            let after = stats.snapshot
            #expect(after.lookups - first.lookups == 2)  // one per pass
            if history.count > 1 {
                // Blocks of the previous prompt are reused beyond P_u: in the text pass from
                // the second request on, in the ID pass (two positions per item) once its
                // previous prompt held a full block past P_u.
                #expect(after.hits - first.hits == (history.count >= 4 ? 2 : 1))
                #expect(after.reusedPositions - first.reusedPositions > 2 * prefix)
            }
            history.append(next)
        }
        #expect(stats.snapshot.bytes > 0)
    }

    @Test("batched requests with different cached prefixes give the uncached scores")
    func batchOfMixedPrefixes() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let cached = try Self.model(b, PrefixCachePolicy(capacityBytes: 64 << 20, blockSize: 4))
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
        let policy = PrefixCachePolicy(capacityBytes: 64 << 20, blockSize: 4, stats: stats)
        let first = try Self.model(b, policy)
        _ = try first.passScores(histories: [[1, 2, 3, 4]])
        let before = stats.snapshot
        let second = try Self.model(b, policy)
        _ = try second.passScores(histories: [[1, 2, 3, 4, 5]])
        #expect(stats.snapshot.hits == before.hits)  // nothing carried over
        // A budget of a few blocks: a long stream of distinct users evicts, and the bytes
        // held stay within the budget.
        let small = PrefixCacheStats()
        let tiny = try Self.model(b, PrefixCachePolicy(capacityBytes: 40_000, blockSize: 4, stats: small))
        for u in 0 ..< 8 { _ = try tiny.passScores(histories: [[u, (u + 1) % 12, (u + 2) % 12]]) }
        #expect(small.snapshot.evictedBlocks > 0)
        #expect(small.snapshot.bytes <= 40_000)
    }

    @Test("past the prompt window the oldest item drops out, positions shift, and only what is still identical is reused")
    func windowShift() throws {
        let b = try StoriesBundle()
        defer { b.cleanup() }
        let stats = PrefixCacheStats()
        let blockSize = 4
        let cached = try Self.model(b, PrefixCachePolicy(capacityBytes: 64 << 20, blockSize: blockSize, stats: stats))
        let window = cached.prompts.configuration.maxItems
        let long = (0 ..< window).map { $0 % 12 }
        _ = try cached.passScores(histories: [long])
        let before = stats.snapshot
        _ = try cached.passScores(histories: [long + [11]])
        let after = stats.snapshot
        // What may be reused: the block ends (P_u, then every `blockSize`) up to where the
        // old and new prompts stop being identical, which is right after P_u and the item
        // text's common leading tokens: far less than the previous prompt.
        let prefix = cached.prompts.userPrefix.count
        let old = try cached.prompts.userPrompts(history: long), new = try cached.prompts.userPrompts(history: long + [11])
        var expected = 0
        for (o, n) in [(old.text, new.text), (old.id, new.id)] {
            let a = cached.decoderInputs(o), b = cached.decoderInputs(n)
            let common = zip(a, b).prefix { $0 == $1 }.count
            var end = prefix
            while end + blockSize <= common, end + blockSize < b.count { end += blockSize }
            expected += end
        }
        #expect(after.reusedPositions - before.reusedPositions == expected)
        #expect(expected < 2 * prefix + 2 * blockSize)
        #expect(new.text.items.first == 1)  // the oldest item did drop out
    }
}
