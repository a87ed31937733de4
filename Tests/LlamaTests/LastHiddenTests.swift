// A pass that asks only for each sequence's last hidden state (HiddenSelection.last) runs
// its last layer at one row per sequence, after keys and values at every row. It must give
// the same last hidden state and logits as the full pass, and leave the same cache behind,
// for batches that mix prefills, continued prefills and decode steps, with a LoRA adapter.
// The rows it computes go through the same kernels at a smaller m, so results agree to
// float rounding, not bitwise.
import Testing
@testable import Llama

@Suite("Forward: last hidden state only")
struct LastHiddenTests {
    let prompts: [[Int32]] = [[1, 317, 311, 267, 337, 335, 311, 432, 426], [1, 403, 407, 261, 378, 432, 311], [1, 267, 337]]
    /// Positions already in each sequence's cache before the pass (0: a fresh prefill;
    /// prompt length − 1: a decode step).
    let cached = [4, 0, 2]

    /// Caches holding each sequence's first `cached` positions.
    func primedCaches(_ model: LlamaModel, _ adapters: [ActiveAdapter]) throws -> [KVCache] {
        try zip(prompts, cached).map { prompt, n in
            let cache = KVCache(config: model.config)
            if n > 0 { _ = try model.forward(.init(tokens: Array(prompt.prefix(n))), cache: cache, adapters: adapters, pool: testPool) }
            return cache
        }
    }

    func run(_ model: LlamaModel, _ adapters: [ActiveAdapter], hidden: HiddenSelection) throws -> ([SequenceOutput], [KVCache]) {
        let caches = try primedCaches(model, adapters)
        let inputs = zip(prompts, zip(cached, caches)).map { prompt, primed in
            SequenceInput(items: .init(tokens: Array(prompt[primed.0...])), cache: primed.1)
        }
        let out = try model.forward(inputs, adapters: adapters, logits: .last, hidden: hidden, pool: testPool)
        return (out, caches)
    }

    @Test("last hidden state, logits and the cache left behind equal the full pass's, with and without LoRA")
    func matchesFullPass() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let lora = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "p", base: model.config)
        let c = model.config.width
        for adapters in [[], [ActiveAdapter(lora, scale: 0.8)]] {
            let (full, fullCaches) = try run(model, adapters, hidden: .all)
            let (last, lastCaches) = try run(model, adapters, hidden: .last)
            for s in prompts.indices {
                let n = prompts[s].count - cached[s]
                #expect(last[s].count == n && last[s].hidden.count == c, "sequence \(s)")
                #expect(maxAbsDiff(last[s].hidden, full[s].hidden[(n - 1) * c ..< n * c]) < 1e-5, "sequence \(s)")
                #expect(maxAbsDiff(last[s].lastLogits, full[s].lastLogits) < 5e-5, "sequence \(s)")
                // Every layer's keys and values at every position, the last layer's included.
                #expect(lastCaches[s].count == fullCaches[s].count)
                #expect(maxAbsDiff(lastCaches[s].block(positions: 0 ..< lastCaches[s].count),
                                   fullCaches[s].block(positions: 0 ..< fullCaches[s].count)) < 1e-6, "sequence \(s)")
            }
        }
    }

    @Test("logits at every position with only the last hidden state is refused")
    func allLogitsNeedAllRows() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let cache = KVCache(config: model.config)
        #expect(throws: LlamaError.invalidArgument("logits at every position need the hidden states of every position")) {
            _ = try model.forward([.token(1), .token(2)], cache: cache, logits: .all, hidden: .last, pool: testPool)
        }
        #expect(cache.count == 0)
    }
}
