// LlamaModel.decodingWeights: the layer matrices decoded to f32 once change no bit of a
// forward pass, are what the pass reads, are kept by norm replacement and truncation, and
// stop at the byte budget.
import Testing
@testable import Llama
@testable import Quant

@Suite("SmolLM2-135M with decoded weights", .serialized)
struct DecodedWeightsModelTests {
    @Test("decoding the weights ahead of time changes no bit of the logits, and the pass reads the decoded copy")
    func sameLogits() throws {
        guard TestFiles.smolLM2 != nil else { print(TestFiles.smolLM2Missing); return }
        let model = try #require(SmolModels.q4_1).truncated(layers: 3)
        let decoded = model.decodingWeights(budgetBytes: 1 << 30)
        #expect(decoded.decodedWeightBytes == 3 * 4 * (2 * 576 * 576 + 2 * 192 * 576 + 3 * 576 * 1536))
        let prompt: [Int32] = [504, 3575, 282, 4649, 314, 1115, 260, 2250, 17, 30]
        for tokens in [Array(prompt.prefix(3)), prompt] {  // below and above the tiled path's 4 rows
            let a = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), pool: testPool)
            let b = try decoded.forward(.init(tokens: tokens), cache: KVCache(config: decoded.config), pool: testPool)
            #expect(a.logits.map(\.bitPattern) == b.logits.map(\.bitPattern), "\(tokens.count) tokens")
        }
        // The pass reads the decoded copy (equal logits alone would also hold if it were ignored):
        // a changed weight in it changes the logits of the tiled path (10 rows) and of the dot
        // path (3 rows) alike.
        let copy = model.decodingWeights(budgetBytes: 1 << 30)
        try #require(copy.layers[0].decoded(.up)).values[7] += 0.5
        for tokens in [prompt, Array(prompt.prefix(3))] {
            let before = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), pool: testPool)
            let after = try copy.forward(.init(tokens: tokens), cache: KVCache(config: copy.config), pool: testPool)
            let unchanged = before.logits.map(\.bitPattern) == after.logits.map(\.bitPattern)
            #expect(!unchanged, "a changed decoded weight left the \(tokens.count)-token logits as they were: the pass did not read it")
        }
        let renormed = try decoded.replacingNorms(["output_norm.weight": [Float](repeating: 1, count: decoded.config.width)])
        #expect(renormed.decodedWeightBytes == decoded.decodedWeightBytes)
        #expect(try decoded.truncated(layers: 2).decodedWeightBytes == 2 * decoded.decodedWeightBytes / 3)
    }

    @Test("layers are decoded in order while they fit the budget")
    func budget() throws {
        guard TestFiles.smolLM2 != nil else { print(TestFiles.smolLM2Missing); return }
        let model = try #require(SmolModels.q4_1).truncated(layers: 4)
        let perLayer = 4 * (2 * 576 * 576 + 2 * 192 * 576 + 3 * 576 * 1536)
        #expect(model.decodingWeights(budgetBytes: 2 * perLayer + perLayer / 2).decodedWeightBytes == 2 * perLayer)
        #expect(model.decodingWeights(budgetBytes: perLayer - 1) === model)
        #expect(model.decodedWeightBytes == 0)
    }
}
