// Adapter files: round trips through both formats, and every validation rule of
// issue 3 ("Bad input") with the offending tensor named in the error.
import Foundation
import ModelFiles
import Testing
@testable import Llama

@Suite("Adapter files and validation")
struct AdapterFileTests {
    func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hdrec-llama-\(getpid())-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func stories() throws -> LlamaModel { try #require(SharedModels.stories, "stories260K model not found") }

    func fixtureAdapter(_ model: LlamaModel) throws -> LoRAAdapter {
        try LoRAAdapter.load(path: TestFiles.fixture("stories260K-lora-peft"), name: "p", base: model.config)
    }

    @Test("an adapter written as PEFT and as GGUF LoRA reads back with identical pairs, alpha and scaling")
    func roundTrips() throws {
        let model = try stories()
        let adapter = try fixtureAdapter(model)
        let dir = tempPath("peft")
        try adapter.writePEFT(to: dir)
        let gguf = tempPath("lora.gguf")
        try adapter.writeGGUF(to: gguf)
        let fromPEFT = try LoRAAdapter.load(path: dir, name: "a", base: model.config)
        let fromGGUF = try LoRAAdapter.load(path: gguf, name: "b", base: model.config)
        #expect(fromPEFT.pairs == adapter.pairs && fromGGUF.pairs == adapter.pairs)
        #expect(fromPEFT.alpha == adapter.alpha && fromGGUF.alpha == adapter.alpha)
        // The PEFT file holds HF order: identical bytes to the python-made fixture's tensors.
        let ours = try SafetensorsFile(path: dir + "/adapter_model.safetensors")
        let theirs = try SafetensorsFile(path: TestFiles.fixture("stories260K-lora-peft/adapter_model.safetensors"))
        #expect(ours.tensorNames.sorted() == theirs.tensorNames.sorted())
        for name in theirs.tensorNames { #expect(try ours.floats(named: name) == theirs.floats(named: name), "\(name)") }
    }

    @Test("rsLoRA keeps its scale through GGUF (alpha stored as alpha·√r)")
    func rsLoRAThroughGGUF() throws {
        let model = try stories()
        let rs = try LoRAAdapter.fresh(name: "rs", base: model.config, rank: 4, alpha: 8, targets: [.v], scaling: .rankStabilized, seed: 3)
        let path = tempPath("rs.gguf")
        try rs.writeGGUF(to: path)
        let back = try LoRAAdapter.load(path: path, name: "b", base: model.config)
        #expect(abs(back.scale(rank: 4) - rs.scale(rank: 4)) < 1e-6)
    }

    /// Writes a GGUF LoRA built by `edit` from the fixture adapter's tensors.
    func writeGGUF(_ model: LlamaModel, alpha: Float? = 4, arch: String = "llama",
                   edit: (inout [(name: String, shape: [Int], values: [Float])]) -> Void) throws -> String {
        let adapter = try fixtureAdapter(model)
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for site in adapter.pairs.keys.sorted() {
            let p = adapter.pairs[site]!
            tensors.append((site.ggufTensorName + ".lora_a", [p.inFeatures, p.rank], p.a))
            tensors.append((site.ggufTensorName + ".lora_b", [p.rank, p.outFeatures], p.b))
        }
        edit(&tensors)
        var w = GGUFWriter()
        w.setValue(.string(arch), forKey: "general.architecture")
        w.setValue(.string("adapter"), forKey: "general.type")
        w.setValue(.string("lora"), forKey: "adapter.type")
        if let alpha { w.setValue(.float32(alpha), forKey: "adapter.lora.alpha") }
        for t in tensors { try w.addTensor(name: t.name, floats: t.values, shape: t.shape, as: .f32) }
        let path = tempPath("edited.gguf")
        try w.write(to: path)
        return path
    }

    @Test("a GGUF LoRA with a lora_a but no lora_b is rejected, naming the tensor")
    func missingHalf() throws {
        let model = try stories()
        let path = try writeGGUF(model) { $0.removeAll { $0.name == "blk.2.ffn_up.weight.lora_b" } }
        #expect(throws: LlamaError.adapterMissingHalf(tensor: "blk.2.ffn_up.weight.lora_a", missing: "blk.2.ffn_up.weight.lora_b")) {
            _ = try LoRAAdapter.load(path: path, name: "x", base: model.config)
        }
    }

    @Test("unknown target names are rejected, not ignored")
    func unknownTarget() throws {
        let model = try stories()
        let path = try writeGGUF(model) { $0.append(("blk.0.attn_qkv.weight.lora_a", [64, 2], [Float](repeating: 0, count: 128))) }
        #expect(throws: LlamaError.adapterUnknownTensor(name: "blk.0.attn_qkv.weight.lora_a")) {
            _ = try LoRAAdapter.load(path: path, name: "x", base: model.config)
        }
        let layerPath = try writeGGUF(model) { $0.append(("blk.9.attn_q.weight.lora_a", [64, 2], [Float](repeating: 0, count: 128))) }
        #expect(throws: LlamaError.adapterUnknownTensor(name: "blk.9.attn_q.weight.lora_a")) {
            _ = try LoRAAdapter.load(path: layerPath, name: "x", base: model.config)
        }
    }

    @Test("an adapter made for another base is rejected, naming the mismatching tensor")
    func otherBase() throws {
        let model = try stories()
        let path = try writeGGUF(model) { ts in
            if let i = ts.firstIndex(where: { $0.name == "blk.1.attn_k.weight.lora_b" }) {
                ts[i] = (ts[i].name, [2, 48], [Float](repeating: 0.1, count: 96))   // out 48, base has 32
            }
        }
        #expect(throws: LlamaError.adapterShapeMismatch(tensor: "blk.1.attn_k.weight.lora_b", expected: [2, 32], found: [2, 48])) {
            _ = try LoRAAdapter.load(path: path, name: "x", base: model.config)
        }
        let arch = try writeGGUF(model, arch: "qwen2") { _ in }
        #expect(throws: LlamaError.adapterArchitectureMismatch(expected: "llama", found: "qwen2")) {
            _ = try LoRAAdapter.load(path: arch, name: "x", base: model.config)
        }
    }

    @Test("a missing alpha is an error")
    func missingAlpha() throws {
        let model = try stories()
        let path = try writeGGUF(model, alpha: nil) { _ in }
        #expect(throws: LlamaError.adapterMissingMetadata(key: "adapter.lora.alpha")) {
            _ = try LoRAAdapter.load(path: path, name: "x", base: model.config)
        }
    }

    @Test("NaN or Inf in adapter weights is detected at load")
    func nonFiniteAdapter() throws {
        let model = try stories()
        let path = try writeGGUF(model) { ts in
            if let i = ts.firstIndex(where: { $0.name == "blk.3.ffn_down.weight.lora_a" }) { ts[i].values[5] = .nan }
        }
        #expect(throws: LlamaError.adapterNonFinite(tensor: "blk.3.ffn_down.weight.lora_a", index: 5)) {
            _ = try LoRAAdapter.load(path: path, name: "x", base: model.config)
        }
    }

    @Test("PEFT configs with unsupported variants or without alpha are rejected")
    func peftConfigRules() throws {
        let model = try stories()
        let base = TestFiles.fixture("stories260K-lora-peft")
        func variant(_ edit: (inout [String: Any]) -> Void) throws -> String {
            let dir = tempPath("peft-variant")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: base + "/adapter_model.safetensors", toPath: dir + "/adapter_model.safetensors")
            var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/adapter_config.json"))) as! [String: Any]
            edit(&cfg)
            try JSONSerialization.data(withJSONObject: cfg).write(to: URL(fileURLWithPath: dir + "/adapter_config.json"))
            return dir
        }
        let dora = try variant { $0["use_dora"] = true }
        #expect(throws: LlamaError.adapterUnsupported(feature: "DoRA (use_dora)")) { _ = try LoRAAdapter.load(path: dora, name: "x", base: model.config) }
        let noAlpha = try variant { $0.removeValue(forKey: "lora_alpha") }
        #expect(throws: LlamaError.adapterMissingMetadata(key: "lora_alpha")) { _ = try LoRAAdapter.load(path: noAlpha, name: "x", base: model.config) }
        let rs = try variant { $0["use_rslora"] = true }
        let rsAdapter = try LoRAAdapter.load(path: rs, name: "x", base: model.config)
        #expect(rsAdapter.scaling == .rankStabilized)
        #expect(throws: LlamaError.adapterNotFound(path: base + "-nope")) { _ = try LoRAAdapter.load(path: base + "-nope", name: "x", base: model.config) }
    }

    @Test("NaN or Inf in base weights is detected at load, naming the tensor")
    func nonFiniteBase() throws {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        let file = try GGUFFile(path: path)
        var w = GGUFWriter(copying: file)
        w.removeAllTensors()
        for info in file.tensors {
            if info.name == "blk.2.ffn_up.weight" {
                var values = try file.floats(of: info)
                values[7] = .infinity
                try w.addTensor(name: info.name, floats: values, shape: info.shape, as: .f32)
            } else {
                try w.addTensor(info, from: file)
            }
        }
        let broken = try GGUFFile(data: try w.serialized())
        #expect(throws: LlamaError.nonFiniteWeight(tensor: "blk.2.ffn_up.weight", index: 7)) { _ = try LlamaModel(gguf: broken) }
    }

    @Test("a model file that is not a Llama or misses a tensor is rejected by name")
    func badModels() throws {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        let file = try GGUFFile(path: path)
        var w = GGUFWriter(copying: file)
        w.removeAllTensors()
        for info in file.tensors where info.name != "blk.4.attn_v.weight" { try w.addTensor(info, from: file) }
        #expect(throws: LlamaError.missingTensor(name: "blk.4.attn_v.weight")) { _ = try LlamaModel(gguf: try GGUFFile(data: try w.serialized())) }
        var other = GGUFWriter(copying: file)
        other.setValue(.string("gpt2"), forKey: "general.architecture")
        #expect(throws: LlamaError.unsupportedArchitecture(found: "gpt2")) { _ = try LlamaModel(gguf: try GGUFFile(data: try other.serialized())) }
    }
}
