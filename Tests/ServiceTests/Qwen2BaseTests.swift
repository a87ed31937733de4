// Serving on a Qwen2 base: the stories260K fixture relabelled `general.architecture = qwen2`
// (its `llama.*` keys moved to `qwen2.*`) with random q/k/v biases added, so the decoder runs it
// with biases and NEOX rope. A random bundle (PEFT adapters written for that base: q/k lora_B in
// Hugging Face order) loads in the engine and answers; the answers depend on the biases, so the
// file is not silently run as a Llama. The match to llama.cpp itself is LlamaTests/ArchitectureTests.
import Foundation
import Llama
import ModelFiles
@testable import HDRecInference
import Testing
@testable import Service
import Workbench

@Suite("serving on a Qwen2 base")
struct Qwen2BaseTests {
    /// Writes the relabelled base to `path`; `biasScale` 0 gives zero biases.
    static func writeBase(to path: String, biasScale: Float) throws {
        let stories = try GGUFFile(path: HDRecEngineTests.base)
        var w = GGUFWriter(copying: stories)
        for (key, value) in w.metadata where key.hasPrefix("llama.") {
            w.removeValue(forKey: key)
            w.setValue(value, forKey: "qwen2." + key.dropFirst("llama.".count))
        }
        w.setValue(.string("qwen2"), forKey: "general.architecture")
        let config = try LlamaModel(gguf: stories).config
        var rng = SplitMix(seed: 9)
        for l in 0..<config.layerCount {
            for t in [LoRATarget.q, .k, .v] {
                let rows = t.shape(in: config).rows
                let values = (0..<rows).map { _ in biasScale * rng.unit() }
                try w.addTensor(name: LlamaTensorName.bias(l, t), floats: values, shape: [rows], as: .f32)
            }
        }
        try w.write(to: path)
    }

    static func recommend(biasScale: Float, root: TestRoot) throws -> [RecommendedItem] {
        let base = root.path + "/qwen2-\(biasScale).gguf"
        try writeBase(to: base, biasScale: biasScale)
        let model = try LlamaModel(path: base)
        #expect(model.config.architecture == .qwen2 && model.config.ropeStyle == .halves)
        let items = (0..<12).map { CatalogItem(id: "i\($0)", title: "Story number \($0)", brand: "Brand \($0 % 3)") }
        let dir = root.path + "/bundle-\(biasScale)"
        try RandomBundle.write(to: dir, basePath: base, catalog: try Catalog(items: items), datasetName: "tiny",
                               hidden: 16, rank: 2, seed: 1, command: "test")
        let engine = try HDRecEngineLoader(basePath: base).load(directory: dir, replacing: nil)
        try engine.warmUp()
        let out = try engine.recommend([RecommendationRequest(history: [1, 2, 3], k: 12, alpha: 0.5, explain: true)])
        return out[0].items
    }

    @Test("a random bundle over a Qwen2 base loads and answers, and the biases count")
    func serves() throws {
        let root = TestRoot()
        let biased = try Self.recommend(biasScale: 0.5, root: root)
        #expect(biased.count == 12)
        #expect(biased.allSatisfy { $0.score.isFinite && $0.textScore != nil })
        let unbiased = try Self.recommend(biasScale: 0, root: root)
        let differs = zip(biased.sorted { $0.index < $1.index }, unbiased.sorted { $0.index < $1.index })
            .contains { abs(($0.textScore ?? 0) - ($1.textScore ?? 0)) > 1e-4 }
        #expect(differs, "text scores do not depend on the q/k/v biases")
    }
}

/// SplitMix64 uniform values in [-1, 1) for the biases.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func unit() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / 8_388_608 - 1
    }
}
