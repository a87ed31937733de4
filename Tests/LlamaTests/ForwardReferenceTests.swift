// The forward pass against independent implementations on stories260K (all F32):
// the numpy float64 reference (Tools/llama_reference.py: HF row order, rotate_half
// RoPE) tightly, and llama.cpp's logits (llama-cpp-python, logits_all) within 1e-3.
import Foundation
import ModelFiles
import Testing
@testable import Llama

@Suite("Forward pass vs references (stories260K)")
struct ForwardReferenceTests {
    /// f32 arithmetic over 5 layers against float64: measured max |Δ| ~1e-5 on logits of magnitude ~10.
    static let referenceTolerance: Float = 1e-4
    /// llama.cpp (F32 KV cache) vs float64 differs by ~1e-5 on stories260K; with its default
    /// F16 cache by ~1e-2. The fixture uses F32; 2e-4 leaves room for f32 reduction orders.
    static let llamaCppTolerance: Float = 2e-4

    @Test("logits and final hidden states match the float64 reference at every fixture position",
          arguments: ["once", "lily", "bos", "embedding"])
    func matchesReference(caseName: String) throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let fixture = try StoriesFixture.load()
        let c = try #require(fixture.named(caseName))
        let out = try model.forward(c.items, cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let v = model.config.vocabSize
        for (i, p) in c.logit_positions.enumerated() {
            let ours = out.logits[p * v ..< (p + 1) * v]
            #expect(maxAbsDiff(ours, c.logits[i]) < Self.referenceTolerance, "position \(p)")
        }
        let w = model.config.width
        let hidden = out.hidden[(out.count - 1) * w ..< out.count * w]
        #expect(maxAbsDiff(hidden, c.hidden_last) < 1e-5)
    }

    @Test("logits match llama.cpp (F32 KV cache) within 2e-4", arguments: ["once", "lily", "bos", "lora-1.0"])
    func matchesLlamaCpp(caseName: String) throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let fixture = try StoriesFixture.load()
        let c = try #require(fixture.named(caseName))
        let theirs = try #require(c.llama_cpp_logits,
                                  "\(caseName): the fixture has no llama.cpp logits (rerun Tools/make_decoder_fixtures.py with llama-cpp-python)")
        var adapters: [ActiveAdapter] = []
        if c.lora_scale != nil {
            let adapter = try LoRAAdapter(ggufPath: TestFiles.fixture("stories260K-lora.gguf"), name: "t", base: model.config)
            adapters = [ActiveAdapter(adapter, scale: c.lora_scale ?? 1)]
        }
        let out = try model.forward(c.items, cache: KVCache(config: model.config), adapters: adapters, logits: .all, pool: testPool)
        let v = model.config.vocabSize
        for (i, p) in c.logit_positions.enumerated() {
            #expect(maxAbsDiff(out.logits[p * v ..< (p + 1) * v], theirs[i]) < Self.llamaCppTolerance, "position \(p)")
        }
    }

    @Test("a caller-supplied embedding changes only its own and later positions")
    func embeddingOverrideIsCausal() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let c = try #require(try StoriesFixture.load().named("embedding"))
        let plain: [InputItem] = c.tokens.map { .token(max($0, 1)) }
        let a = try model.forward(c.items, cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let b = try model.forward(plain, cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let v = model.config.vocabSize, p = try #require(c.embedding_position)
        #expect(Array(a.logits[0 ..< p * v]) == Array(b.logits[0 ..< p * v]))
        #expect(maxAbsDiff(a.logits[p * v ..< (p + 1) * v], b.logits[p * v ..< (p + 1) * v]) > 0.01)
    }

    @Test("stories260K has its own LM head")
    func separateOutput() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        #expect(!model.tiedOutput)
        #expect(model.config.vocabSize == 512)
        #expect(model.config.headCount == 8 && model.config.kvHeadCount == 4 && model.config.layerCount == 5)
    }

    /// stories260K as a GGUF writer copy, edited by `edit` (metadata or tensors), loaded from memory.
    static func storiesVariant(_ edit: (GGUFFile, inout GGUFWriter) throws -> Void) throws -> LlamaModel {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        let file = try GGUFFile(path: path)
        var writer = GGUFWriter(copying: file)
        try edit(file, &writer)
        return try LlamaModel(gguf: try GGUFFile(data: try writer.serialized()))
    }

    @Test("without output.weight the LM head is token_embd (logits = hidden · token_embdᵀ); with it, output.weight")
    func tiedOutput() throws {
        let file = try GGUFFile(path: try #require(TestFiles.stories260K, "stories260K model not found"))
        let embeddingInfo = try #require(file.tensor(named: LlamaTensorName.tokenEmbedding))
        let embedding = try file.floats(of: embeddingInfo)  // [V, C]
        // stories260K's output.weight equals its token_embd (llama2.c ties them), so the
        // separate-head variant uses 2 · token_embd to tell the two paths apart.
        let tied = try Self.storiesVariant { file, w in
            w.removeAllTensors()
            for info in file.tensors where info.name != LlamaTensorName.output { try w.addTensor(info, from: file) }
        }
        let separate = try Self.storiesVariant { file, w in
            w.removeAllTensors()
            for info in file.tensors where info.name != LlamaTensorName.output { try w.addTensor(info, from: file) }
            try w.addTensor(name: LlamaTensorName.output, floats: embedding.map { 2 * $0 }, shape: embeddingInfo.shape, as: .f32)
        }
        #expect(tied.tiedOutput && !separate.tiedOutput)
        let tokens: [InputItem] = .init(tokens: [1, 403, 407, 261, 378])
        let v = tied.config.vocabSize, w = tied.config.width
        for (model, factor) in [(tied, 1.0), (separate, 2.0)] {
            let out = try model.forward(tokens, cache: KVCache(config: model.config), logits: .all, pool: testPool)
            var worst: Float = 0
            for p in 0 ..< out.count {
                let h = out.hidden[p * w ..< (p + 1) * w]
                for t in 0 ..< v {
                    var dot: Double = 0
                    for (i, x) in zip(0..., h) { dot += Double(x) * Double(embedding[t * w + i]) }
                    worst = max(worst, abs(out.logits[p * v + t] - Float(factor * dot)))
                }
            }
            #expect(worst < 2e-4, "head factor \(factor): max |Δ| \(worst)")
        }
    }

    struct RopeScalingFixture: Decodable {
        let tokens: [Int32]
        let logit_positions: [Int]
        let rope_freqs: [Float]
        let linear_factor: Float
        let cases: [String: [[Float]]]
    }

    @Test("Llama-3 rope_freqs.weight and linear rope scaling match llama.cpp (variants of stories260K)",
          arguments: ["plain", "rope_freqs", "linear"])
    func ropeScalingMatchesLlamaCpp(variant: String) throws {
        let fixture = try JSONDecoder().decode(RopeScalingFixture.self, from: Data(contentsOf: URL(
            fileURLWithPath: TestFiles.fixture("stories260K-rope-scaling.json"))))
        let theirs = try #require(fixture.cases[variant])
        // The same variants Tools/make_decoder_fixtures.py wrote with gguf-py.
        let model = try Self.storiesVariant { _, w in
            switch variant {
            case "rope_freqs":
                try w.addTensor(name: LlamaTensorName.ropeFreqs, floats: fixture.rope_freqs, shape: [fixture.rope_freqs.count], as: .f32)
            case "linear":
                w.setValue(.string("linear"), forKey: "llama.rope.scaling.type")
                w.setValue(.float32(fixture.linear_factor), forKey: "llama.rope.scaling.factor")
            default:
                break
            }
        }
        let tokens = fixture.tokens.map { InputItem.token($0) }
        let out = try model.forward(tokens, cache: KVCache(config: model.config), logits: .all, pool: testPool)
        let v = model.config.vocabSize
        for (i, p) in fixture.logit_positions.enumerated() {
            let ours = out.logits[p * v ..< (p + 1) * v]
            #expect(maxAbsDiff(ours, theirs[i]) < Self.llamaCppTolerance, "\(variant) position \(p)")
            // The scaling matters at these positions: far more than the tolerance.
            if variant != "plain", let plain = fixture.cases["plain"] {
                #expect(maxAbsDiff(ours, plain[i]) > 1, "\(variant) position \(p) barely differs from unscaled RoPE")
            }
        }
    }
}
