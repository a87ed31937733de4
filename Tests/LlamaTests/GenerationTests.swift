// Generation and sampling: greedy decoding of stories260K from BOS reproduces the
// float64 reference's tokens (the known "Once upon a time, ... Lily ..." story), and
// the sampler is argmax at temperature 0 and seeded otherwise.
import Foundation
import ModelFiles
import Testing
@testable import Llama

@Suite("Generation and sampling")
struct GenerationTests {
    struct Greedy: Decodable { let greedy_from_bos: [Int32] }

    @Test("greedy decoding from BOS reproduces the reference continuation token for token")
    func greedyFromBOS() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let expected = try JSONDecoder().decode(Greedy.self, from: Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("stories260K-logits.json")))).greedy_from_bos
        var sampler = Sampler(temperature: 0)
        let tokens = try model.generate(prompt: [.token(1)], maxTokens: expected.count, sampler: &sampler, pool: testPool)
        #expect(tokens == expected)
    }

    @Test("generation stops at a stop token and at maxTokens")
    func stopping() throws {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        var sampler = Sampler(temperature: 0)
        // 378 ("▁time") is the 4th greedy token: stopping on it leaves three.
        let stopped = try model.generate(prompt: [.token(1)], maxTokens: 20, sampler: &sampler, stopTokens: [378], pool: testPool)
        #expect(stopped == [403, 407, 261])
        var s2 = Sampler(temperature: 0)
        #expect(try model.generate(prompt: [.token(1)], maxTokens: 2, sampler: &s2, pool: testPool).count == 2)
    }

    @Test("generation stops cleanly when the context fills: every position used once, the greedy tokens unchanged")
    func stopsAtFullContext() throws {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        let file = try GGUFFile(path: path)
        var w = GGUFWriter(copying: file)
        w.setValue(.uint32(12), forKey: "llama.context_length")
        let model = try LlamaModel(gguf: try GGUFFile(data: try w.serialized()))
        #expect(model.config.contextLength == 12)
        let expected = try JSONDecoder().decode(Greedy.self, from: Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("stories260K-logits.json")))).greedy_from_bos
        // BOS + 11 decoded tokens fill the 12 positions; the 12th token comes from the last one.
        var sampler = Sampler(temperature: 0)
        var seen = 0
        let tokens = try model.generate(prompt: [.token(1)], maxTokens: 100, sampler: &sampler, pool: testPool) { _ in seen += 1; return true }
        #expect(tokens == Array(expected.prefix(12)))
        #expect(seen == 12)
        // A prompt that fills the context still yields one token; one more position is an error.
        let full = [Int32(1)] + expected.prefix(11)
        var s2 = Sampler(temperature: 0)
        #expect(try model.generate(prompt: .init(tokens: full), maxTokens: 5, sampler: &s2, pool: testPool) == [expected[11]])
        var s3 = Sampler(temperature: 0)
        #expect(throws: LlamaError.contextOverflow(needed: 13, contextLength: 12)) {
            _ = try model.generate(prompt: .init(tokens: full + [expected[11]]), maxTokens: 5, sampler: &s3, pool: testPool)
        }
    }

    @Test("temperature 0 is argmax; top-k 1 is argmax at any temperature")
    func greedyRules() {
        let logits: [Float] = [0.1, 2.5, -1, 2.4]
        var s = Sampler(temperature: 0, seed: 9)
        #expect(s.sample(logits) == 1)
        var k1 = Sampler(temperature: 5, topK: 1, seed: 9)
        for _ in 0 ..< 20 { #expect(k1.sample(logits) == 1) }
    }

    @Test("sampling follows softmax(logits / T) and a seed fixes the sequence")
    func samplingDistribution() {
        let probs: [Float] = [0.1, 0.2, 0.3, 0.4]
        let logits = probs.map { log($0) }
        var s = Sampler(temperature: 1, seed: 42)
        var counts = [Int](repeating: 0, count: 4)
        let n = 20_000
        for _ in 0 ..< n { counts[Int(s.sample(logits))] += 1 }
        for i in 0 ..< 4 { #expect(abs(Float(counts[i]) / Float(n) - probs[i]) < 0.015, "token \(i)") }
        var a = Sampler(temperature: 0.8, seed: 7), b = Sampler(temperature: 0.8, seed: 7)
        #expect((0 ..< 50).map { _ in a.sample(logits) } == (0 ..< 50).map { _ in b.sample(logits) })
    }

    @Test("top-k 3 of {.1,.2,.3,.4} samples .2/.3/.4 renormalized (llama.cpp test-sampling expectation)")
    func topK() {
        let logits: [Float] = [0.1, 0.2, 0.3, 0.4].map { log($0) }
        var s = Sampler(temperature: 1, topK: 3, seed: 1)
        var counts = [Int](repeating: 0, count: 4)
        for _ in 0 ..< 20_000 { counts[Int(s.sample(logits))] += 1 }
        #expect(counts[0] == 0)
        #expect(abs(Float(counts[3]) / 20_000 - 0.4 / 0.9) < 0.015)
    }
}
