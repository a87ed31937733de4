// LoRA training on a Qwen2 base, end to end: stories260K relabelled `general.architecture =
// qwen2` (its `llama.*` keys moved to `qwen2.*`) with random q/k/v biases, so the trainer and
// the server both run biases and NEOX rope. A tiny HDRec run (TinyRun, as in
// ServingAgreementTests) trains, is exported (PEFT adapters: q/k lora_B written as trained,
// not permuted) and served; the served passes must equal the training network's eval-mode
// logits to the same 1e-4 as on the Llama base.
import Foundation
import Llama
import ModelFiles
import HDRecInference
import Testing
@testable import Training
import TrainingOps

@Suite("LoRA training on a Qwen2 base (stories260K relabelled)", .serialized)
struct Qwen2TrainingTests {
    /// stories260K as a qwen2 file with uniform(-0.5, 0.5) q/k/v biases.
    static func writeQwen2Stories(to path: String) throws {
        let stories = try GGUFFile(path: TinyRun.storiesBase)
        var w = GGUFWriter(copying: stories)
        for (key, value) in w.metadata where key.hasPrefix("llama.") {
            w.removeValue(forKey: key)
            w.setValue(value, forKey: "qwen2." + key.dropFirst("llama.".count))
        }
        w.setValue(.string("qwen2"), forKey: "general.architecture")
        let config = try LlamaModel(gguf: stories).config
        var rng = TrainingRNG(seed: 12)
        for l in 0..<config.layerCount {
            for t in [LoRATarget.q, .k, .v] {
                let rows = t.shape(in: config).rows
                try w.addTensor(name: LlamaTensorName.bias(l, t), floats: (0..<rows).map { _ in Float(rng.uniform(-0.5, 0.5)) },
                                shape: [rows], as: .f32)
            }
        }
        try w.write(to: path)
    }

    @Test("a run trains on the Qwen2 base, and its exported bundle serves the training logits")
    func trainsAndServes() throws {
        let dir = NSTemporaryDirectory() + "hdrec-qwen2-base-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeQwen2Stories(to: dir + "/base.gguf")
        let run = try TinyRun(basePath: dir + "/base.gguf")
        let base = try LlamaModel(path: run.basePath)
        #expect(base.config.architecture == .qwen2)
        let trained = try TrainedRun(directory: run.runDir)
        #expect(!trained.history.losses.isEmpty)
        #expect(trained.history.losses.allSatisfy { ($0.textCE ?? 0).isFinite && ($0.idCE ?? 0).isFinite })
        let bundle = run.root + "/bundle"
        try RunExporter.export(run: run.runDir, to: bundle, copyBase: false, command: "test")
        let loaded = try HDRecModel.load(bundle: bundle, basePath: run.basePath)
        let served = try #require(loaded.model.decoder as? LlamaHDRecDecoder)
        #expect(served.model.config.architecture == .qwen2)
        // Trained B of q is non-zero, so a wrongly permuted export would show in the logits.
        let qB = try #require(served.textAdapter.pairs[LoRASite(layer: TinyRun.layers - 1, target: .q)]?.b)
        #expect(qB.contains { abs($0) > 1e-4 })

        let dataset = trained.context.dataset
        let histories = (0 ..< 6).map { Array(dataset.history($0, for: .test)) }
        let reference = try trained.trainingScorer().passScores(histories: histories)
        let s = try loaded.model.passScores(histories: histories)
        var worst: Float = 0
        for b in histories.indices {
            for (x, y) in zip(s.text[b] + s.id[b], reference.text[b] + reference.id[b]) {
                worst = max(worst, abs(x - y) / max(1, abs(y)))
            }
        }
        print("qwen2: served vs training logits, max relative error \(worst)")
        #expect(worst < 1e-4)
    }
}
