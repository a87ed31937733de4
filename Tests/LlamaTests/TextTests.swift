// End to end with the tokenizer: prompt text in, text out, as `hdrec generate` runs it.
// BOS follows the GGUF (stories260K: SentencePiece `llama`, no add_bos_token key, so
// BOS is added as llama.cpp does; SmolLM2: add_bos_token = false).
import Testing
@testable import Llama
import Tokenizer

@Suite("Text generation with the tokenizer")
struct TextTests {
    @Test("greedy stories260K from BOS tells the known story")
    func storiesText() throws {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        let model = try #require(SharedModels.stories)
        let tokenizer = try Tokenizer(ggufPath: path)
        #expect(tokenizer.addBOSByDefault)
        let prompt = tokenizer.encode("", addBOS: tokenizer.addBOSByDefault)
        #expect(prompt == [1])
        var sampler = Sampler(temperature: 0)
        let out = try model.generate(prompt: .init(tokens: prompt), maxTokens: 40, sampler: &sampler, pool: testPool)
        let text = tokenizer.decode(out)
        #expect(text.hasPrefix("Once upon a time, there was a little girl named Lily. She loved to play outside in the park."), "\(text)")
    }

    @Test("SmolLM2 continues 'The capital of France is' with ' Paris'",
          .enabled(if: TestFiles.smolLM2 != nil, Comment(rawValue: TestFiles.smolLM2Missing)))
    func paris() throws {
        let path = try #require(TestFiles.smolLM2)
        let model = try #require(SmolModels.q4_1)
        let tokenizer = try Tokenizer(ggufPath: path)
        let prompt = tokenizer.encode("The capital of France is", addBOS: tokenizer.addBOSByDefault)
        #expect(prompt == [504, 3575, 282, 4649, 314])
        var sampler = Sampler(temperature: 0)
        let out = try model.generate(prompt: .init(tokens: prompt), maxTokens: 4, sampler: &sampler, pool: testPool)
        #expect(tokenizer.decode(out).hasPrefix(" Paris"))
    }
}
