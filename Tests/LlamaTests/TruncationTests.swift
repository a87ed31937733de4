// Running the first L layers (then output_norm) and replacing RMSNorm weights, on
// stories260K against the float64 numpy reference (Tools/make_truncated_fixture.py,
// which stops the reference forward after L blocks and swaps the norm vectors), plus
// the identities the derivations promise: L = n_layer is bit-identical to the model
// itself, and truncating at load equals truncating a loaded model.
import Foundation
import Testing
@testable import Llama

private struct TruncatedCase: Decodable {
    let layers: Int
    let lora: Bool
    let hidden: [Float]
    let logits_last: [Float]
    let norms: [String: [Float]]?
}

private struct TruncatedFixture: Decodable {
    let tokens: [Int32]
    let cases: [TruncatedCase]
    static func load() throws -> TruncatedFixture {
        try JSONDecoder().decode(TruncatedFixture.self,
                                 from: Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("stories260K-truncated.json"))))
    }
}

/// The PEFT fixture adapter restricted to the first `layers` blocks, for a model of that many.
private func adapter(for model: LlamaModel, full: LlamaModel) throws -> LoRAAdapter {
    let all = try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "t", base: full.config)
    return try LoRAAdapter(name: "t", alpha: all.alpha, scaling: all.scaling, base: model.config,
                           pairs: all.pairs.filter { $0.key.layer < model.config.layerCount })
}

@Suite("First-L-layers models and replaced norms (stories260K)")
struct TruncationTests {
    /// f32 over ≤ 5 layers vs float64: the full-model reference test measures ~1e-5 on logits of ~10.
    static let tolerance: Float = 1e-4

    @Test("hidden states and logits of the first L layers + output_norm match the float64 reference, with LoRA and replaced norms")
    func matchesReference() throws {
        let full = try #require(SharedModels.stories, "stories260K model not found")
        let fixture = try TruncatedFixture.load()
        let items = fixture.tokens.map { InputItem.token($0) }
        for c in fixture.cases {
            var model = try full.truncated(layers: c.layers)
            if let norms = c.norms { model = try model.replacingNorms(norms) }
            #expect(model.config.layerCount == c.layers)
            let adapters = c.lora ? [ActiveAdapter(try adapter(for: model, full: full))] : []
            let out = try model.forward(items, cache: KVCache(config: model.config), adapters: adapters, logits: .last, pool: testPool)
            #expect(maxAbsDiff(out.hidden, c.hidden) < Self.tolerance, "L = \(c.layers), lora \(c.lora), norms \(c.norms != nil)")
            #expect(maxAbsDiff(out.logits, c.logits_last) < Self.tolerance, "L = \(c.layers), lora \(c.lora), norms \(c.norms != nil)")
        }
        // The cases differ from each other: a model that ignored L or the norms would fail above.
        let l2 = try #require(fixture.cases.first { $0.layers == 2 && !$0.lora })
        let l5 = try #require(fixture.cases.first { $0.layers == 5 && !$0.lora && $0.norms == nil })
        #expect(maxAbsDiff(l2.hidden, l5.hidden) > 0.1)
    }

    @Test("L = n_layer is bit-identical to the model itself; loading L layers equals truncating after load")
    func identities() throws {
        let full = try #require(SharedModels.stories, "stories260K model not found")
        let path = try #require(TestFiles.stories260K)
        let items = try TruncatedFixture.load().tokens.map { InputItem.token($0) }
        let reference = try full.forward(items, cache: KVCache(config: full.config), logits: .all, pool: testPool)
        let same = try full.truncated(layers: full.config.layerCount)
        #expect(same.config == full.config)
        let out = try same.forward(items, cache: KVCache(config: same.config), logits: .all, pool: testPool)
        #expect(out.hidden == reference.hidden && out.logits == reference.logits)
        // An empty replacement changes nothing.
        let unchanged = try full.replacingNorms([:]).forward(items, cache: KVCache(config: full.config), logits: .all, pool: testPool)
        #expect(unchanged.logits == reference.logits)

        let loaded3 = try LlamaModel(path: path, layers: 3)
        let cut3 = try full.truncated(layers: 3)
        #expect(loaded3.config == cut3.config && loaded3.config.layerCount == 3)
        let a = try loaded3.forward(items, cache: KVCache(config: loaded3.config), logits: .all, pool: testPool)
        let b = try cut3.forward(items, cache: KVCache(config: cut3.config), logits: .all, pool: testPool)
        #expect(a.hidden == b.hidden && a.logits == b.logits)
        #expect(maxAbsDiff(a.hidden, reference.hidden) > 0.1, "3 layers differ from 5")
    }

    @Test("out-of-range layer counts, foreign norm names, wrong widths and non-finite norms are typed errors")
    func badInput() throws {
        let full = try #require(SharedModels.stories, "stories260K model not found")
        let path = try #require(TestFiles.stories260K)
        #expect(throws: LlamaError.layerCountOutOfRange(requested: 0, available: 5)) { try full.truncated(layers: 0) }
        #expect(throws: LlamaError.layerCountOutOfRange(requested: 6, available: 5)) { try full.truncated(layers: 6) }
        #expect(throws: LlamaError.layerCountOutOfRange(requested: 9, available: 5)) { try LlamaModel(path: path, layers: 9) }
        let c = full.config.width
        let cut = try full.truncated(layers: 2)
        #expect(throws: LlamaError.notANormTensor(name: "blk.2.attn_norm.weight", layerCount: 2)) {
            try cut.replacingNorms(["blk.2.attn_norm.weight": [Float](repeating: 1, count: c)])
        }
        #expect(throws: LlamaError.notANormTensor(name: "blk.0.attn_q.weight", layerCount: 2)) {
            try cut.replacingNorms(["blk.0.attn_q.weight": [Float](repeating: 1, count: c)])
        }
        #expect(throws: LlamaError.tensorShapeMismatch(name: "output_norm.weight", expected: [c], found: [3])) {
            try cut.replacingNorms(["output_norm.weight": [1, 2, 3]])
        }
        var bad = [Float](repeating: 1, count: c)
        bad[7] = .nan
        #expect(throws: LlamaError.nonFiniteWeight(tensor: "blk.1.ffn_norm.weight", index: 7)) {
            try cut.replacingNorms(["blk.1.ffn_norm.weight": bad])
        }
        let message = LlamaError.layerCountOutOfRange(requested: 6, available: 5).description
        #expect(message.contains("6") && message.contains("1...5"))
    }
}
