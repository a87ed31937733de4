// The library behind `hdrec inspect` and `hdrec quantize`: tensor counts per type
// on the real models, and re-quantizing stories260K and reading it back.
import Foundation
import Quant
import Testing
@testable import ModelFiles

@Suite("inspect and quantize")
struct InspectQuantizeTests {
    @Test("inspect lists SmolLM2's 272 tensors: 210 Q4_1, 1 Q8_0, 61 F32 (needs make models)",
          .enabled(if: ModelFixtures.exists(ModelFixtures.smolLM2), Comment(rawValue: ModelFixtures.smolLM2Missing)))
    func smolLM2Counts() throws {
        let r = try ModelInspection.inspect(path: ModelFixtures.smolLM2)
        #expect(r.format == .gguf && r.architecture == "llama")
        #expect(r.tensors.count == 272)
        #expect(r.tensorTypeCounts == ["q4_1": 210, "q8_0": 1, "f32": 61])
        #expect(r.tokenizerModel == "gpt2" && r.tokenizerPre == "smollm" && r.vocabularySize == 49152)
        #expect(r.json.contains("\"embedding_length\": 576"))
    }

    @Test("inspect names every ggml type, K-quants and i-quants included, and the reader accepts them all")
    func inspectNamesEveryType() throws {
        var w = GGUFWriter()
        w.setValue(.string("llama"), forKey: "general.architecture")
        w.setValue(.uint32(15), forKey: "general.file_type")
        for t in GGMLType.allCases {
            let bytes = [UInt8](repeating: 0, count: try #require(t.rowSize(256)) * 2)
            try w.addTensor(name: "t.\(t.rawValue)", type: t, shape: [256, 2], bytes: bytes)
        }
        let f = try GGUFFile(data: try w.serialized())
        let r = ModelInspection.inspect(gguf: f, path: "every-type.gguf")
        #expect(r.tensors.map(\.type) == GGMLType.allCases.map(\.description))
        for name in ["q4_K", "q5_K", "q6_K", "q2_K", "q3_K", "q8_K", "q5_0", "q5_1", "iq2_xxs", "iq4_xs", "tq2_0", "mxfp4", "f64"] {
            #expect(r.tensorTypeCounts[name] == 1, "\(name)")
        }
        #expect(r.json.contains("\"q4_K\""))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.json.utf8)) as? [String: Any])
        #expect(json["file_type"] as? String == "Q4_K_M")
        let refused = try #require(json["types_not_supported"] as? [String])
        #expect(refused == GGMLType.allCases.filter { !$0.isDecodable }.map(\.description).sorted())
        #expect(refused.contains("iq2_xxs") && !refused.contains("q4_K") && !refused.contains("q5_0"))
    }

    @Test("inspect reports stories260K, a safetensors file and an adapter directory")
    func inspectKinds() throws {
        let s = try ModelInspection.inspect(path: ModelFixtures.stories260K)
        #expect(s.tokenizerModel == "llama" && s.vocabularySize == 512 && s.tensorTypeCounts.keys.sorted() == ["f32"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(s.json.utf8)) as? [String: Any])
        #expect((json["hyperparameters"] as? [String: Any])?["block_count"] as? Int == 5)
        #expect((json["tensors"] as? [Any])?.count == s.tensors.count)
        let st = try ModelInspection.inspect(path: ModelFixtures.fixtures + "/python-written.safetensors")
        #expect(st.format == .safetensors && st.tensors.count == 8)
        #expect(throws: ModelFilesError.self) { try ModelInspection.inspect(path: ModelFixtures.fixtures + "/numpy-5.npy") }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var w = SafetensorsWriter()
        try w.add(name: "m.q_proj.lora_A.weight", floats: [1, 2, 3, 4], shape: [2, 2])
        try w.add(name: "m.q_proj.lora_B.weight", floats: [0, 0, 0, 0], shape: [2, 2])
        try PEFTAdapterDirectory.write(config: PEFTAdapterConfig(r: 2, loraAlpha: 4, targetModules: ["q_proj"]), weights: w, to: dir)
        let a = try ModelInspection.inspect(path: dir)
        #expect(a.format == .peftAdapter && a.tensorTypeCounts == ["F32": 2])
        #expect(a.json.contains("\"scaling\": 2.0"))
    }

    @Test("quantize stories260K to q8_0: 2-D matrices converted, 1-D norms kept f32, values close")
    func quantizeStories() throws {
        let src = try GGUFFile(path: ModelFixtures.stories260K)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/q8.gguf"
        try GGUFQuantizer.quantize(input: ModelFixtures.stories260K, output: out, to: .q8_0)
        let q = try GGUFFile(path: out)
        #expect(q.uint("general.file_type") == 7)
        #expect(q.strings("tokenizer.ggml.tokens") == src.strings("tokenizer.ggml.tokens"))
        #expect(q.tensors.map(\.name) == src.tensors.map(\.name))
        var converted = 0
        for t in src.tensors {
            let n = try #require(q.tensor(named: t.name))
            #expect(n.shape == t.shape)
            if t.shape.count == 2 {
                #expect(n.type == (t.shape[0] % 32 == 0 ? .q8_0 : .f16), "\(t.name)")
                converted += n.type == .q8_0 ? 1 : 0
            } else {
                #expect(n.type == .f32, "\(t.name)")
            }
            let a = try src.floats(of: t), b = try q.floats(of: n)
            let amax = a.map(abs).max() ?? 0
            let err = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            // Half a Q8_0 step (amax/127/2) plus the fp16 rounding of the block scale.
            #expect(err <= amax / 127 * 0.55 + 1e-6, "\(t.name): max error \(err)")
        }
        #expect(converted > 0)
        // f32 -> f32 keeps every tensor's bytes.
        let same = try GGUFQuantizer.quantize(src, to: .f32).serialized()
        let back = try GGUFFile(data: same)
        for t in src.tensors {
            #expect(Array(back.bytes(of: try #require(back.tensor(named: t.name)))) == Array(src.bytes(of: t)))
        }
    }

    @Test("quantize stories260K to each type: every tensor's bytes are Quantization.quantize of the source values",
          arguments: [GGMLType.q8_0, .q4_0, .q4_1, .f16, .f32])
    func quantizeEveryType(_ target: GGMLType) throws {
        let src = try GGUFFile(path: ModelFixtures.stories260K)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/\(target).gguf"
        try GGUFQuantizer.quantize(input: ModelFixtures.stories260K, output: out, to: target)
        let q = try GGUFFile(path: out)
        #expect(q.uint("general.file_type") == Int(GGUFQuantizer.fileType(for: target)))
        #expect(q.tensors.map(\.name) == src.tensors.map(\.name))
        var converted = 0
        for t in src.tensors {
            let n = try #require(q.tensor(named: t.name))
            let expectedType = GGUFQuantizer.outputType(shape: t.shape, target: target)
            #expect(n.shape == t.shape && n.type == expectedType, "\(t.name): \(n.type) \(n.shape)")
            converted += t.shape.count == 2 && n.type == target ? 1 : 0
            // All of stories260K is F32, so each tensor is the reference encoding of its values.
            let values = try src.floats(of: t)
            let expected = try Quantization.quantize(values, as: expectedType)
            #expect(Array(q.bytes(of: n)) == expected, "\(t.name) as \(expectedType)")
            // And it decodes to within the type's rounding: half a step (plus the fp16 scale) for
            // the block types, fp16's relative precision for f16, exact for f32.
            let back = try q.floats(of: n)
            let amax = values.map(abs).max() ?? 0
            let err = zip(values, back).map { abs($0 - $1) }.max() ?? 0
            let bound: Float = switch expectedType {
            case .q8_0: amax / 127 * 0.55
            case .q4_0, .q4_1: amax / 7
            case .f16, .bf16: amax / 1024
            case .f32: 0
            default: 0  // hdrec quantize writes only the types above
            }
            #expect(err <= bound + 1e-6, "\(t.name) as \(expectedType): max error \(err)")
        }
        // 32 of stories260K's 37 matrices have rows of whole 32-value blocks; f16/f32 take all 37.
        #expect(converted == (target.isQuantized ? 32 : 37))
    }
}
