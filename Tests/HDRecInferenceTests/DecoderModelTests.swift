// HDRecModel.decoderModel: the step of bundle loading that makes the decoder run as
// trained (the first base.layers blocks, trained norms in place), and its refusals.
// The agreement with the trainer is tested end to end in TrainingTests/ServingAgreementTests.
import Foundation
import Llama
import Testing
@testable import HDRecInference

@Suite("Decoder as trained: first L layers and trained norms")
struct DecoderModelTests {
    @Test("cuts the base to base.layers and applies norms; the base itself is untouched")
    func cutsAndApplies() throws {
        let base = try LlamaModel(path: Stories.ggufPath)
        let c = base.config.width
        let norms = ["blk.1.ffn_norm.weight": [Float](repeating: 2, count: c), "output_norm.weight": [Float](repeating: 0.5, count: c)]
        let model = try HDRecModel.decoderModel(base: base, layers: 2, norms: norms)
        #expect(model.config.layerCount == 2 && base.config.layerCount == 5)
        let items: [InputItem] = [.token(1), .token(317), .token(311)]
        let ours = try model.forward(items, cache: KVCache(config: model.config), logits: .none)
        let reference = try base.truncated(layers: 2).replacingNorms(norms)
            .forward(items, cache: KVCache(config: model.config), logits: .none)
        #expect(ours.hidden == reference.hidden)
        let plain = try base.truncated(layers: 2).forward(items, cache: KVCache(config: model.config), logits: .none)
        #expect(ours.hidden != plain.hidden)
        #expect(try HDRecModel.decoderModel(base: base, layers: 5, norms: [:]) === base)
    }

    @Test("a depth beyond the base, or a norm outside the layers used, is refused naming the tensor")
    func refusals() throws {
        let base = try LlamaModel(path: Stories.ggufPath)
        let c = base.config.width
        #expect(throws: HDRecInferenceError.self) { try HDRecModel.decoderModel(base: base, layers: 6, norms: [:]) }
        #expect(throws: HDRecInferenceError.self) { try HDRecModel.decoderModel(base: base, layers: 0, norms: [:]) }
        do {
            _ = try HDRecModel.decoderModel(base: base, layers: 3, norms: ["blk.3.attn_norm.weight": [Float](repeating: 1, count: c)],
                                            headsPath: "b/heads.safetensors")
            Issue.record("a norm of layer 3 was accepted for a 3-layer decoder")
        } catch let HDRecInferenceError.tensorContent(file, name, _) {
            #expect(file == "b/heads.safetensors" && name == "norms.blk.3.attn_norm.weight")
        }
    }
}
