// Llama 3 and Qwen2 against llama.cpp on the same files: random 2-layer decoders (width 64,
// GQA 4/2, F32) on the real vocabularies, rebuilt from Fixtures/arch-random.json
// (Tools/make_arch_fixtures.py, which also ran llama.cpp on them). Llama 3 brings
// rope_freqs (Llama 3 rope scaling) and a tied LM head; Qwen2 its `qwen2.*` keys, q/k/v
// biases, an untied LM head and NEOX rope. Skipped, saying why, without the vocabularies.
//
// Tolerance: F32 weights and an F32 KV cache, so llama.cpp and we differ only in f32
// summation order: probe logits at every position within 1e-5 relative L2, top-20
// last-position logits within 1e-4, top-1 equal (measured: 5-6e-7 relative L2, at most
// 8e-6 apart, about what rounding the goldens to 6 decimals costs). Each
// case is also compared with llama.cpp's result on a control file lacking the feature
// (no rope_freqs; Qwen2 relabelled `llama`, so NORM rope), which must be > 5 % away:
// the check fails if the feature is dropped.
import Foundation
import ModelFiles
import Testing
import Tokenizer
@testable import Llama

@Suite("Llama 3 and Qwen2 random decoders against llama.cpp", .serialized,
       .enabled(if: ArchFixture.vocabulariesPresent, ArchFixture.vocabulariesMissing))
struct ArchitectureTests {
    static let names = ["llama3", "qwen2"]

    @Test("the recipe rebuilds the values the script wrote", arguments: names)
    func values(name: String) throws {
        let model = try #require(try ArchFixture.shared.get().models[name])
        let (_, sums) = try ArchFixture.build(name)
        for t in model.tensors {
            let sum = try #require(sums[t.name])
            #expect(abs(sum - t.sum) <= 1e-9 * max(1, abs(t.sum)) + 1e-6, "\(name) \(t.name): \(sum) vs \(t.sum)")
        }
    }

    @Test("each file loads as its architecture")
    func loads() throws {
        let llama3 = try LlamaModel(gguf: try ArchFixture.build("llama3").file)
        #expect(llama3.config.architecture == .llama)
        #expect(llama3.config.ropeStyle == .adjacentPairs)
        #expect(llama3.tiedOutput)
        #expect((llama3.config.headCount, llama3.config.kvHeadCount) == (4, 2))
        #expect(llama3.config.vocabSize == 128_256)
        #expect(llama3.layers.allSatisfy { $0.biases.isEmpty })
        let qwen2 = try LlamaModel(gguf: try ArchFixture.build("qwen2").file)
        #expect(qwen2.config.architecture == .qwen2)
        #expect(qwen2.config.ropeStyle == .halves)
        #expect(!qwen2.tiedOutput)
        #expect((qwen2.config.headCount, qwen2.config.kvHeadCount) == (4, 2))
        #expect(qwen2.config.vocabSize == 151_936)
        #expect(qwen2.layers.allSatisfy { Set($0.biases.keys) == [.q, .k, .v] })
    }

    @Test("the prompts tokenize to llama.cpp's ids", arguments: names)
    func tokens(name: String) throws {
        let model = try #require(try ArchFixture.shared.get().models[name])
        let tok = try Tokenizer(gguf: try ArchFixture.build(name).file)
        for c in model.cases {
            #expect(tok.encode(c.text, addBOS: name == "llama3") == c.tokens, "\(name) \(c.text.debugDescription)")
        }
    }

    @Test("logits at every position match llama.cpp on the same file", arguments: names)
    func logits(name: String) throws {
        let model = try #require(try ArchFixture.shared.get().models[name])
        let decoder = try LlamaModel(gguf: try ArchFixture.build(name).file)
        for c in model.cases {
            let out = try decoder.forward(.init(tokens: c.tokens), cache: KVCache(config: decoder.config),
                                          logits: .all, pool: testPool)
            let v = decoder.config.vocabSize
            var ours: [Float] = [], theirs: [Float] = [], control: [Float] = []
            for p in 0 ..< c.tokens.count {
                ours += model.probe_ids.map { out.logits[p * v + $0] }
                theirs += c.llama_cpp_probe_logits[p]
                control += c.control_probe_logits[p]
            }
            let err = relativeL2(ours, theirs)
            let last = Array(out.lastLogits)
            let topErr = maxAbsDiff(c.llama_cpp_top_ids.map { last[$0] }, c.llama_cpp_top_logits)
            print("\(name) \(c.text.debugDescription): probe rel L2 \(err), top-20 max |diff| \(topErr), control \(relativeL2(ours, control))")
            #expect(err < 1e-5, "\(name) \(c.text.debugDescription): probe logits rel L2 \(err)")
            #expect(topErr < 1e-4, "\(name) \(c.text.debugDescription): top-20 logits")
            #expect(topK(last, 1) == [c.llama_cpp_top_ids[0]], "\(name) \(c.text.debugDescription): top-1")
            #expect(relativeL2(ours, control) > 0.05, "\(name) \(c.text.debugDescription): indistinguishable from the control (\(model.control))")
        }
    }
}

@Suite("unsupported architectures")
struct UnsupportedArchitectureTests {
    @Test("a model of another architecture is refused with an error naming it",
          arguments: ["gemma", "qwen3", "phi3", "mistral3", ""])
    func refused(name: String) throws {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        var w = GGUFWriter(copying: try GGUFFile(path: path))
        w.setValue(.string(name), forKey: "general.architecture")
        let file = try GGUFFile(data: try w.serialized())
        #expect(throws: LlamaError.unsupportedArchitecture(found: name)) { _ = try LlamaModel(gguf: file) }
        let message = LlamaError.unsupportedArchitecture(found: name).description
        #expect(message.contains("'\(name)'") && message.contains("llama, qwen2"), "\(message)")
    }
}
