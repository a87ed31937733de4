// LoRA invariants and formats: B = 0 is the base exactly; merged equals unmerged; a
// PEFT adapter and its GGUF conversion (made by the python gguf writer with the q/k
// lora_B permutation of convert_lora_to_gguf.py) give the same output, which matches
// the float64 reference applying the PEFT tensors in Hugging Face order.
import Foundation
import Testing
@testable import Llama

@Suite("LoRA adapters")
struct LoRATests {
    let tokens: [Int32] = [1, 317, 311, 267, 337, 335, 311, 432, 426]

    @Test("an adapter with B = 0 gives exactly the base output")
    func zeroBIsIdentity() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let fresh = try LoRAAdapter.fresh(name: "z", base: model.config, rank: 4, alpha: 8,
                                          targets: LoRATarget.allCases, seed: 1)
        let base = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let adapted = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config),
                                        adapters: [ActiveAdapter(fresh, scale: 3)], logits: .all, pool: testPool)
        #expect(base.logits == adapted.logits)
        #expect(base.hidden == adapted.hidden)
    }

    @Test("PEFT directory and GGUF LoRA of the same adapter load to the same pairs and outputs")
    func peftEqualsGGUF() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let peft = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "p", base: model.config)
        let gguf = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora.gguf"), name: "g", base: model.config)
        #expect(peft.pairs == gguf.pairs)
        #expect(peft.alpha == 4 && gguf.alpha == 4 && peft.rank == 2)
        #expect(peft.pairs.count == 5 * 7)
        let a = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), adapters: [ActiveAdapter(peft)], pool: testPool)
        let b = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), adapters: [ActiveAdapter(gguf)], pool: testPool)
        #expect(a.logits == b.logits)
    }

    @Test("adapted logits match the float64 reference (PEFT tensors in HF order) at scales 1 and 0.5",
          arguments: ["lora-1.0", "lora-0.5"])
    func matchesReference(caseName: String) throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let c = try #require(try StoriesFixture.load().named(caseName))
        let peft = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "p", base: model.config)
        let out = try model.forward(c.items, cache: KVCache(config: model.config),
                                    adapters: [ActiveAdapter(peft, scale: c.lora_scale ?? 1)], logits: .all, pool: testPool)
        let v = model.config.vocabSize
        for (i, p) in c.logit_positions.enumerated() {
            #expect(maxAbsDiff(out.logits[p * v ..< (p + 1) * v], c.logits[i]) < ForwardReferenceTests.referenceTolerance)
        }
    }

    @Test("without the q/k lora_B permutation the output is wrong (the permutation matters)")
    func permutationMatters() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let c = try #require(try StoriesFixture.load().named("lora-1.0"))
        let good = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "p", base: model.config)
        var pairs = good.pairs
        for (site, pair) in good.pairs where site.target == .q || site.target == .k {
            let heads = RoPEPermutation.heads(for: site.target, config: model.config) ?? 1
            pairs[site] = try LoRAPair(a: pair.a, b: RoPEPermutation.toHF(pair.b, rows: pair.outFeatures, cols: pair.rank, heads: heads),
                                       rank: pair.rank, inFeatures: pair.inFeatures, outFeatures: pair.outFeatures)
        }
        let bad = try LoRAAdapter(name: "bad", alpha: good.alpha, base: model.config, pairs: pairs)
        let out = try model.forward(c.items, cache: KVCache(config: model.config), adapters: [ActiveAdapter(bad)], logits: .last, pool: testPool)
        #expect(maxAbsDiff(out.lastLogits, c.logits[c.logits.count - 1]) > 1e-2)
    }

    @Test("merged weights give the unmerged output within float tolerance")
    func mergedEqualsUnmerged() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let peft = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "p", base: model.config)
        let active = [ActiveAdapter(peft, scale: 0.7)]
        let unmerged = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), adapters: active, logits: .all, pool: testPool)
        let merged = try model.merging(active, pool: testPool)
        let out = try merged.forward(.init(tokens: tokens), cache: KVCache(config: model.config), logits: .all, pool: testPool)
        #expect(maxAbsDiff(out.logits, unmerged.logits) < 1e-4)
    }

    @Test("two adapters stack: the deltas add up")
    func adaptersStack() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let peft = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "p", base: model.config)
        let gguf = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora.gguf"), name: "g", base: model.config)
        let c = try #require(try StoriesFixture.load().named("lora-1.0"))
        // Two halves of the same adapter at scale 0.5 each equal the adapter at scale 1.
        let out = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config),
                                    adapters: [ActiveAdapter(peft, scale: 0.5), ActiveAdapter(gguf, scale: 0.5)],
                                    logits: .last, pool: testPool)
        #expect(maxAbsDiff(out.lastLogits, c.logits[c.logits.count - 1]) < ForwardReferenceTests.referenceTolerance)
    }

    @Test("scale is alpha / r, or alpha / sqrt(r) for rsLoRA")
    func scaleRule() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let std = try LoRAAdapter.fresh(name: "a", base: model.config, rank: 8, alpha: 32, targets: [.q], seed: 0)
        let rs = try LoRAAdapter.fresh(name: "b", base: model.config, rank: 8, alpha: 32, targets: [.q], scaling: .rankStabilized, seed: 0)
        #expect(std.scale(rank: 8) == 4)
        #expect(abs(rs.scale(rank: 8) - 32 / Float(8).squareRoot()) < 1e-6)
        #expect(try rs.ggufAlpha() == 32 * Float(8).squareRoot())
    }

    /// Prefill of the first 6 tokens, then 3 decode steps over the KV cache: the last-row
    /// logits of every step, concatenated.
    static func prefillAndDecode(_ model: LlamaModel, _ tokens: [Int32], adapters: [ActiveAdapter]) throws -> [Float] {
        let cache = KVCache(config: model.config)
        var logits = Array(try model.forward(.init(tokens: Array(tokens[0 ..< 6])), cache: cache, adapters: adapters).lastLogits)
        for t in tokens[6...] {
            logits += try model.forward([.token(t)], cache: cache, adapters: adapters).lastLogits
        }
        return logits
    }

    @Test("passes with two different adapters (and none) run at the same time give exactly the results of running them one by one")
    func concurrentPasses() async throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let text = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "text", base: model.config)
        // A second, different adapter ("id"): other values, on other targets.
        var idPairs: [LoRASite: LoRAPair] = [:]
        for (site, p) in text.pairs where [.v, .o, .down].contains(site.target) {
            idPairs[site] = try LoRAPair(a: p.a.reversed(), b: p.b.map { -0.7 * $0 }, rank: p.rank,
                                         inFeatures: p.inFeatures, outFeatures: p.outFeatures)
        }
        let id = try LoRAAdapter(name: "id", alpha: 6, base: model.config, pairs: idPairs)
        let choices: [[ActiveAdapter]] = [[ActiveAdapter(text)], [ActiveAdapter(id, scale: 0.8)], []]
        let tokens = self.tokens
        let oneByOne = try choices.map { try Self.prefillAndDecode(model, tokens, adapters: $0) }
        #expect(oneByOne[0] != oneByOne[1] && oneByOne[0] != oneByOne[2] && oneByOne[1] != oneByOne[2])
        try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for i in 0 ..< 12 {
                let choice = i % choices.count
                group.addTask { (choice, try Self.prefillAndDecode(model, tokens, adapters: choices[choice])) }
            }
            var finished = 0
            for try await (choice, logits) in group {
                #expect(logits == oneByOne[choice], "adapter choice \(choice)")
                finished += 1
            }
            #expect(finished == 12)
        }
    }
}
