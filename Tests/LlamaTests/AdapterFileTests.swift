// Adapter files: round trips through both formats, and every validation rule for a bad
// adapter file, with the offending tensor named in the error.
import Foundation
import ModelFiles
import Quant
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
        // Two faults: the one named is the first in (layer, target) order, on every run.
        let two = try writeGGUF(model) { ts in
            ts.removeAll { $0.name == "blk.4.ffn_down.weight.lora_b" || $0.name == "blk.1.attn_q.weight.lora_a" }
        }
        #expect(throws: LlamaError.adapterMissingHalf(tensor: "blk.1.attn_q.weight.lora_b", missing: "blk.1.attn_q.weight.lora_a")) {
            _ = try LoRAAdapter.load(path: two, name: "x", base: model.config)
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

    static let peftKey = "base_model.model.model.layers"

    /// A copy of the PEFT fixture with its config edited by `config` and, when given, its
    /// tensors (name -> (shape, values), Hugging Face order) edited by `tensors`.
    func variant(config: (inout [String: Any]) -> Void = { _ in },
                 tensors: ((inout [String: (shape: [Int], values: [Float])]) -> Void)? = nil) throws -> String {
        let base = TestFiles.fixture("stories260K-lora-peft")
        let dir = tempPath("peft-variant")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let tensors {
            let file = try SafetensorsFile(path: base + "/adapter_model.safetensors")
            var all: [String: (shape: [Int], values: [Float])] = [:]
            for name in file.tensorNames {
                let info = try #require(file.tensor(named: name))
                all[name] = (info.shape, try file.floats(of: info))
            }
            tensors(&all)
            var writer = SafetensorsWriter(metadata: ["format": "pt"])
            for name in all.keys.sorted() { try writer.add(name: name, floats: all[name]!.values, shape: all[name]!.shape) }
            try writer.write(to: dir + "/adapter_model.safetensors")
        } else {
            try FileManager.default.copyItem(atPath: base + "/adapter_model.safetensors", toPath: dir + "/adapter_model.safetensors")
        }
        var cfg = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: base + "/adapter_config.json"))) as? [String: Any])
        config(&cfg)
        try JSONSerialization.data(withJSONObject: cfg).write(to: URL(fileURLWithPath: dir + "/adapter_config.json"))
        return dir
    }

    @Test("PEFT configs with unsupported variants or without alpha are rejected")
    func peftConfigRules() throws {
        let model = try stories()
        let base = TestFiles.fixture("stories260K-lora-peft")
        let dora = try variant { $0["use_dora"] = true }
        #expect(throws: LlamaError.adapterUnsupported(feature: "DoRA (use_dora)")) { _ = try LoRAAdapter.load(path: dora, name: "x", base: model.config) }
        let noAlpha = try variant { $0.removeValue(forKey: "lora_alpha") }
        #expect(throws: LlamaError.adapterMissingMetadata(key: "lora_alpha")) { _ = try LoRAAdapter.load(path: noAlpha, name: "x", base: model.config) }
        let rs = try variant { $0["use_rslora"] = true }
        let rsAdapter = try LoRAAdapter.load(path: rs, name: "x", base: model.config)
        #expect(rsAdapter.scaling == .rankStabilized)
        #expect(throws: LlamaError.adapterNotFound(path: base + "-nope")) { _ = try LoRAAdapter.load(path: base + "-nope", name: "x", base: model.config) }
        let alphas = try variant { $0["alpha_pattern"] = ["model.layers.1.mlp.up_proj": 8.0] }
        #expect(throws: LlamaError.adapterUnsupported(feature: "alpha_pattern with alphas other than lora_alpha")) {
            _ = try LoRAAdapter.load(path: alphas, name: "x", base: model.config)
        }
        let sameAlpha = try variant { $0["alpha_pattern"] = ["model.layers.1.mlp.up_proj": 4.0] }
        #expect(try LoRAAdapter.load(path: sameAlpha, name: "x", base: model.config).pairs == fixtureAdapter(model).pairs)
    }

    @Test("target_modules entries that name no adaptable layer of the base are rejected by name, list and regex form")
    func peftUnknownTargets() throws {
        let model = try stories()
        func load(_ targets: Any) throws -> LoRAAdapter {
            try LoRAAdapter.load(path: try variant { $0["target_modules"] = targets }, name: "x", base: model.config)
        }
        let all = ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]
        #expect(throws: LlamaError.adapterUnknownTarget(entry: "qkv_proj", selects: nil)) { _ = try load(["qkv_proj"]) }
        #expect(throws: LlamaError.adapterUnknownTarget(entry: "lm_head", selects: "lm_head")) { _ = try load(all + ["lm_head"]) }
        #expect(throws: LlamaError.adapterUnknownTarget(entry: "embed_tokens", selects: "model.embed_tokens")) {
            _ = try load(all + ["embed_tokens"])
        }
        #expect(throws: LlamaError.adapterUnknownTarget(entry: "input_layernorm", selects: "model.layers.0.input_layernorm")) {
            _ = try load(all + ["input_layernorm"])
        }
        // stories260K has 5 layers: a target in layer 9 belongs to another base.
        #expect(throws: LlamaError.adapterUnknownTarget(entry: "model.layers.9.self_attn.q_proj", selects: nil)) {
            _ = try load(all + ["model.layers.9.self_attn.q_proj"])
        }
        // Regex form (PEFT full-matches it against module names).
        #expect(throws: LlamaError.adapterUnknownTarget(entry: #".*\.qkv_proj"#, selects: nil)) { _ = try load(#".*\.qkv_proj"#) }
        #expect(throws: LlamaError.adapterUnknownTarget(entry: ".*(_proj|lm_head)", selects: "lm_head")) { _ = try load(".*(_proj|lm_head)") }
        #expect(throws: LlamaError.adapterUnknownTarget(entry: ".*embed_tokens|.*_proj", selects: "model.embed_tokens")) {
            _ = try load(".*embed_tokens|.*_proj")
        }
        // Valid spellings select the same adapter.
        let reference = try fixtureAdapter(model).pairs
        #expect(try load(#".*\.(q|k|v|o|gate|up|down)_proj"#).pairs == reference)
        #expect(try load("all-linear").pairs == reference)
        #expect(try load(["self_attn.q_proj", "self_attn.k_proj", "v_proj", "o_proj", "mlp.gate_proj", "up_proj", "down_proj"]).pairs == reference)
    }

    @Test("PEFT tensors on modules the config does not target are rejected, naming the first such tensor")
    func peftUntargetedTensors() throws {
        let model = try stories()
        let onlyQ = try variant { $0["target_modules"] = ["q_proj"] }
        #expect(throws: LlamaError.adapterTensorNotTargeted(tensor: "\(Self.peftKey).0.mlp.down_proj.lora_A.weight")) {
            _ = try LoRAAdapter.load(path: onlyQ, name: "x", base: model.config)
        }
        let firstLayers = try variant { $0["layers_to_transform"] = [0, 1] }
        #expect(throws: LlamaError.adapterTensorNotTargeted(tensor: "\(Self.peftKey).2.mlp.down_proj.lora_A.weight")) {
            _ = try LoRAAdapter.load(path: firstLayers, name: "x", base: model.config)
        }
        let noDown = try variant { $0["exclude_modules"] = ["down_proj"] }
        #expect(throws: LlamaError.adapterTensorNotTargeted(tensor: "\(Self.peftKey).0.mlp.down_proj.lora_A.weight")) {
            _ = try LoRAAdapter.load(path: noDown, name: "x", base: model.config)
        }
    }

    @Test("the config's r and rank_pattern must equal every tensor's rank (r 16 over rank-2 tensors is rejected)")
    func peftRankChecks() throws {
        let model = try stories()
        let r16 = try variant { $0["r"] = 16 }
        #expect(throws: LlamaError.adapterRankMismatch(tensor: "\(Self.peftKey).0.self_attn.q_proj.lora_A.weight", declared: 16, found: 2)) {
            _ = try LoRAAdapter.load(path: r16, name: "x", base: model.config)
        }
        let pattern = try variant { $0["rank_pattern"] = ["model.layers.3.mlp.up_proj": 4] }
        #expect(throws: LlamaError.adapterRankMismatch(tensor: "\(Self.peftKey).3.mlp.up_proj.lora_A.weight", declared: 4, found: 2)) {
            _ = try LoRAAdapter.load(path: pattern, name: "x", base: model.config)
        }
        let noR = try variant { $0.removeValue(forKey: "r") }
        #expect(throws: LlamaError.adapterMissingMetadata(key: "r")) { _ = try LoRAAdapter.load(path: noR, name: "x", base: model.config) }
        let fractional = try variant { $0["r"] = 2.5 }
        #expect(throws: LlamaError.self) { _ = try LoRAAdapter.load(path: fractional, name: "x", base: model.config) }

        // Mixed ranks go through rank_pattern: written and read back unchanged.
        let fixture = try fixtureAdapter(model)
        var pairs = fixture.pairs
        let site = LoRASite(layer: 1, target: .k)
        let (rows, cols) = LoRATarget.k.shape(in: model.config)
        pairs[site] = try LoRAPair(a: (0 ..< 3 * cols).map { Float($0 % 7) * 0.01 }, b: (0 ..< rows * 3).map { Float($0 % 5) * 0.02 },
                                   rank: 3, inFeatures: cols, outFeatures: rows)
        let mixed = try LoRAAdapter(name: "m", alpha: 4, base: model.config, pairs: pairs)
        let dir = tempPath("mixed")
        try mixed.writePEFT(to: dir)
        let back = try LoRAAdapter.load(path: dir, name: "b", base: model.config)
        #expect(back.pairs == mixed.pairs)
        #expect(back.scale(rank: 3) == 4 / Float(3))
    }

    @Test("PEFT tensor faults name the tensor: missing lora_B, unknown key, a shape made for another base")
    func peftTensorFaults() throws {
        let model = try stories()
        func load(_ edit: @escaping (inout [String: (shape: [Int], values: [Float])]) -> Void) throws -> LoRAAdapter {
            try LoRAAdapter.load(path: try variant(tensors: edit), name: "x", base: model.config)
        }
        let up2 = "\(Self.peftKey).2.mlp.up_proj"
        #expect(throws: LlamaError.adapterMissingHalf(tensor: up2 + ".lora_A.weight", missing: up2 + ".lora_B.weight")) {
            _ = try load { $0.removeValue(forKey: up2 + ".lora_B.weight") }
        }
        // Two faults: the one named is the first in (layer, target) order, on every run.
        let q1 = "\(Self.peftKey).1.self_attn.q_proj", down4 = "\(Self.peftKey).4.mlp.down_proj"
        #expect(throws: LlamaError.adapterMissingHalf(tensor: q1 + ".lora_B.weight", missing: q1 + ".lora_A.weight")) {
            _ = try load { $0.removeValue(forKey: down4 + ".lora_B.weight"); $0.removeValue(forKey: q1 + ".lora_A.weight") }
        }
        for key in ["base_model.model.model.embed_tokens.lora_A.weight", "base_model.model.lm_head.lora_A.weight",
                    "\(Self.peftKey).0.self_attn.q_proj.lora_magnitude_vector", "\(Self.peftKey).5.self_attn.q_proj.lora_A.weight"] {
            #expect(throws: LlamaError.adapterUnknownTensor(name: key)) {
                _ = try load { $0[key] = ([2, 64], [Float](repeating: 0, count: 128)) }
            }
        }
        // Made for a wider base: k_proj's B has 48 rows (this base: 32), q_proj's A reads 80 features (64).
        let k1 = "\(Self.peftKey).1.self_attn.k_proj.lora_B.weight"
        #expect(throws: LlamaError.adapterShapeMismatch(tensor: k1, expected: [32, 2], found: [48, 2])) {
            _ = try load { $0[k1] = ([48, 2], [Float](repeating: 0.1, count: 96)) }
        }
        let q0 = "\(Self.peftKey).0.self_attn.q_proj.lora_A.weight"
        #expect(throws: LlamaError.adapterShapeMismatch(tensor: q0, expected: [2, 64], found: [2, 80])) {
            _ = try load { $0[q0] = ([2, 80], [Float](repeating: 0.1, count: 160)) }
        }
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

    @Test("a NaN or Inf fp16 scale in a Q8_0 or Q4_1 block (d, or Q4_1's min m) is detected at load, naming the block",
          arguments: [(GGMLType.q8_0, 0), (GGMLType.q4_1, 0), (GGMLType.q4_1, 2)])
    func nonFiniteBlockScale(type: GGMLType, fieldOffset: Int) throws {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        let file = try GGUFFile(path: path)
        func model(corruptBlock: Int?) throws -> LlamaModel {
            var w = GGUFWriter(copying: file)
            w.removeAllTensors()
            for info in file.tensors {
                guard info.name == "blk.2.ffn_up.weight" else { try w.addTensor(info, from: file); continue }
                var bytes = try Quantization.quantize(try file.floats(of: info), as: type)
                if let block = corruptBlock {
                    let at = block * type.typeSize + fieldOffset
                    // f16 NaN for d, +Inf for m: both have an all-ones exponent.
                    (bytes[at], bytes[at + 1]) = fieldOffset == 0 ? (0x00, 0x7E) : (0x00, 0x7C)
                }
                try w.addTensor(name: info.name, type: type, shape: info.shape, bytes: bytes)
            }
            return try LlamaModel(gguf: try GGUFFile(data: try w.serialized()))
        }
        _ = try model(corruptBlock: nil)   // the clean quantized tensor loads
        #expect(throws: LlamaError.nonFiniteWeight(tensor: "blk.2.ffn_up.weight", index: 37)) { _ = try model(corruptBlock: 37) }
    }

    @Test("the load-time scan finds a NaN or Inf in any fp16 scale field of every block type",
          arguments: GGMLType.allCases.filter { $0.isDecodable && $0.isQuantized })
    func nonFiniteScaleEveryType(type: GGMLType) throws {
        for field in type.halfFieldOffsets {
            var bytes = [UInt8](repeating: 0x11, count: 3 * type.typeSize)
            for b in 0 ..< 3 { for f in type.halfFieldOffsets { (bytes[b * type.typeSize + f], bytes[b * type.typeSize + f + 1]) = (0x00, 0x3C) } }
            #expect(bytes.withUnsafeBytes { WeightScan.firstNonFinite($0, type: type) } == nil, "\(type) clean")
            (bytes[type.typeSize + field], bytes[type.typeSize + field + 1]) = (0x00, 0x7C)  // +Inf in block 1
            #expect(bytes.withUnsafeBytes { WeightScan.firstNonFinite($0, type: type) } == 1, "\(type) field at \(field)")
        }
    }

    @Test("a tensor of a type HDRec parses but cannot compute with is refused at load, naming it")
    func undecodableTensorType() throws {
        let path = try #require(TestFiles.stories260K, "stories260K model not found")
        let file = try GGUFFile(path: path)
        var w = GGUFWriter(copying: file)
        w.removeAllTensors()
        for info in file.tensors {
            guard info.name == "blk.2.ffn_up.weight" else { try w.addTensor(info, from: file); continue }
            let n = try #require(GGMLType.iq4_nl.rowSize(info.shape[0])) * info.shape[1]
            try w.addTensor(name: info.name, type: .iq4_nl, shape: info.shape, bytes: [UInt8](repeating: 0, count: n))
        }
        #expect(throws: LlamaError.unsupportedTensorType(name: "blk.2.ffn_up.weight", type: "iq4_nl")) {
            _ = try LlamaModel(gguf: try GGUFFile(data: try w.serialized()))
        }
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
