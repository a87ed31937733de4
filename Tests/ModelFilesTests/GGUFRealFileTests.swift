// Real model files: the committed stories260K and Llama SPM vocabulary fixtures and,
// when `make models` (or ../shared) provides it, SmolLM2-135M (Q4_1/Q8_0/F32). Each is read
// and rewritten with GGUFWriter; the output must equal the input byte for byte.
import Foundation
import Quant
import Testing
@testable import ModelFiles

@Suite("GGUF real files")
struct GGUFRealFileTests {
    /// Streams the writer's output against the original file without a second copy.
    private func rewritesIdentically(_ f: GGUFFile) throws -> Bool {
        let original = f.rawBytes
        var pos = 0
        var same = true
        try GGUFWriter(copying: f).emit { chunk in
            guard same else { return }
            if pos + chunk.count > original.count || memcmp(original.baseAddress! + pos, chunk.baseAddress!, chunk.count) != 0 {
                same = false
            }
            pos += chunk.count
        }
        return same && pos == original.count
    }

    @Test("stories260K: metadata, tensors and a byte-exact rewrite")
    func stories() throws {
        let f = try GGUFFile(path: ModelFixtures.stories260K)
        #expect(f.version == 3)
        #expect(f.architecture == "llama")
        #expect(f.uint("llama.embedding_length") == 64)
        #expect(f.uint("llama.block_count") == 5)
        #expect(f.string("tokenizer.ggml.model") == "llama")
        #expect(f.strings("tokenizer.ggml.tokens")?.count == 512)
        #expect(f.floats("tokenizer.ggml.scores")?.count == 512)
        #expect(f.tensors.allSatisfy { $0.type == .f32 })
        let emb = try #require(f.tensor(named: "token_embd.weight"))
        #expect(emb.shape == [64, 512])
        #expect(try f.floats(of: emb).count == 64 * 512)
        #expect(try rewritesIdentically(f))
    }

    @Test("SmolLM2-135M Q4_1: 272 tensors and a byte-exact rewrite (needs make models)",
          .enabled(if: ModelFixtures.exists(ModelFixtures.smolLM2), Comment(rawValue: ModelFixtures.smolLM2Missing)))
    func smolLM2() throws {
        let f = try GGUFFile(path: ModelFixtures.smolLM2)
        #expect(f.tensors.count == 272)
        #expect(f.tensors.filter { $0.type == .q4_1 }.count == 210)
        #expect(f.tensors.filter { $0.type == .q8_0 }.count == 1)
        #expect(f.tensors.filter { $0.type == .f32 }.count == 61)
        #expect(f.string("tokenizer.ggml.model") == "gpt2")
        #expect(f.strings("tokenizer.ggml.tokens")?.count == 49152)
        #expect(try rewritesIdentically(f))
    }

    @Test("vocab-only Llama SPM GGUF: reads and rewrites byte for byte")
    func llamaVocab() throws {
        let f = try GGUFFile(path: ModelFixtures.llamaSPMVocab)
        #expect(f.strings("tokenizer.ggml.tokens")?.count == 32000)
        #expect(try rewritesIdentically(f))
    }
}
