// Decode steps over the KV cache, batched sequences, and context limits: each must give
// the same numbers as one plain prefill of the same tokens.
// Decode steps take the kernels' m = 1 path and prefill the tiled one, so results agree
// to float rounding (~1e-5 on logits of magnitude ~10), not bitwise.
import Testing
@testable import Llama

@Suite("KV cache, decode steps and batching")
struct KVCacheTests {
    let tokens: [Int32] = [1, 317, 311, 267, 337, 335, 311, 432, 426]

    @Test("prefill then one-token decode steps reproduce the all-at-once logits")
    func decodeStepsMatchPrefill() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let v = model.config.vocabSize
        let whole = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let cache = KVCache(config: model.config, reserve: 2)   // forces growth on the way
        var out = try model.forward(.init(tokens: Array(tokens.prefix(3))), cache: cache, logits: .last, pool: testPool)
        #expect(maxAbsDiff(out.lastLogits, whole.logits[2 * v ..< 3 * v]) < 1e-4)
        for p in 3 ..< tokens.count {
            out = try model.forward([.token(tokens[p])], cache: cache, logits: .last, pool: testPool)
            #expect(maxAbsDiff(out.lastLogits, whole.logits[p * v ..< (p + 1) * v]) < 1e-4, "position \(p)")
        }
        #expect(cache.count == tokens.count)
    }

    @Test("several sequences in one pass give each sequence's own results")
    func batchedSequencesAreIndependent() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let a: [Int32] = Array(tokens.prefix(5)), b: [Int32] = [1, 403, 407, 261, 378, 432, 311]
        let sa = try model.forward(.init(tokens: a), cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let sb = try model.forward(.init(tokens: b), cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let both = try model.forward([SequenceInput(items: .init(tokens: a), cache: KVCache(config: model.config)),
                                      SequenceInput(items: .init(tokens: b), cache: KVCache(config: model.config))],
                                     logits: .all, pool: testPool)
        #expect(maxAbsDiff(both[0].logits, sa.logits) < 5e-5)
        #expect(maxAbsDiff(both[1].logits, sb.logits) < 5e-5)
        #expect(maxAbsDiff(both[1].hidden, sb.hidden) < 5e-5)
        #expect(both[0].logitRows == a.count && both[1].logitRows == b.count)
    }

    @Test("a batch may mix a decode step of one sequence with the prefill of another")
    func mixedDecodeAndPrefill() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let v = model.config.vocabSize
        let whole = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let cacheA = KVCache(config: model.config)
        _ = try model.forward(.init(tokens: Array(tokens.prefix(6))), cache: cacheA, pool: testPool)
        let out = try model.forward([SequenceInput(items: [.token(tokens[6])], cache: cacheA),
                                     SequenceInput(items: .init(tokens: Array(tokens.prefix(4))), cache: KVCache(config: model.config))],
                                    logits: .last, pool: testPool)
        #expect(maxAbsDiff(out[0].lastLogits, whole.logits[6 * v ..< 7 * v]) < 5e-5)
        #expect(maxAbsDiff(out[1].lastLogits, whole.logits[3 * v ..< 4 * v]) < 5e-5)
    }

    @Test("a prompt longer than the context is rejected with the sizes, and the cache is unchanged")
    func contextOverflow() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let n = model.config.contextLength + 1
        let cache = KVCache(config: model.config)
        #expect(throws: LlamaError.contextOverflow(needed: n, contextLength: model.config.contextLength)) {
            _ = try model.forward(.init(tokens: [Int32](repeating: 5, count: n)), cache: cache, pool: testPool)
        }
        #expect(cache.count == 0)
    }

    @Test("bad items are rejected before any work: token id out of range, wrong embedding width, empty input")
    func badInputs() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let cache = KVCache(config: model.config)
        #expect(throws: LlamaError.tokenOutOfRange(id: 512, position: 1, vocabSize: 512)) {
            _ = try model.forward([.token(1), .token(512)], cache: cache, pool: testPool)
        }
        #expect(throws: LlamaError.embeddingWidthMismatch(position: 0, expected: 64, found: 3)) {
            _ = try model.forward([.embedding([1, 2, 3])], cache: cache, pool: testPool)
        }
        #expect(throws: LlamaError.emptyInput) { _ = try model.forward([], cache: cache, pool: testPool) }
        #expect(cache.count == 0)
    }

    @Test("truncating the cache rewinds to a shared prefix")
    func truncateRewinds() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let cache = KVCache(config: model.config)
        let first = try model.forward(.init(tokens: tokens), cache: cache, pool: testPool)
        cache.truncate(to: 4)
        let again = try model.forward(.init(tokens: Array(tokens[4...])), cache: cache, pool: testPool)
        #expect(maxAbsDiff(first.lastLogits, again.lastLogits) < 5e-5)
    }
}

@Suite("KV cache copies")
struct KVCacheCopyTests {
    @Test("a copied prefix cache extends exactly like the original (shared-prompt reuse)")
    func copyExtends() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let prefix: [Int32] = [1, 317, 311, 267]
        let cache = KVCache(config: model.config)
        _ = try model.forward(.init(tokens: prefix), cache: cache, pool: testPool)
        let a = cache.copy(), b = cache.copy(reserve: 100)
        let outA = try model.forward(.init(tokens: [337, 335]), cache: a, pool: testPool)
        let outB = try model.forward(.init(tokens: [403, 407, 261]), cache: b, pool: testPool)
        let fullA = try model.forward(.init(tokens: prefix + [337, 335]), cache: KVCache(config: model.config), pool: testPool)
        let fullB = try model.forward(.init(tokens: prefix + [403, 407, 261]), cache: KVCache(config: model.config), pool: testPool)
        #expect(maxAbsDiff(outA.lastLogits, fullA.lastLogits) < 5e-5)
        #expect(maxAbsDiff(outB.lastLogits, fullB.lastLogits) < 5e-5)
        #expect(cache.count == 4 && a.count == 6 && b.count == 7)
    }
}
