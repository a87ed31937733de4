// PEFT adapter directories (file level) and the .npy writer.
import Foundation
import Testing
@testable import ModelFiles

@Suite("PEFT adapter directory and NPY")
struct PEFTAdapterTests {
    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("peft-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static let peftJSON = """
    {
      "alpha_pattern": {},
      "auto_mapping": null,
      "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",
      "bias": "none",
      "fan_in_fan_out": false,
      "inference_mode": true,
      "init_lora_weights": true,
      "lora_alpha": 16,
      "lora_dropout": 0.05,
      "modules_to_save": null,
      "peft_type": "LORA",
      "r": 8,
      "rank_pattern": {"q_proj": 4},
      "revision": null,
      "target_modules": ["v_proj", "q_proj"],
      "task_type": "CAUSAL_LM",
      "use_dora": false,
      "use_rslora": true
    }
    """

    @Test("parses a PEFT adapter_config.json with defaults, patterns and rsLoRA scaling")
    func parseConfig() throws {
        let c = try PEFTAdapterConfig(json: Self.peftJSON)
        #expect(c.peftType == "LORA" && c.r == 8 && c.loraAlpha == 16 && c.useRslora)
        #expect(c.targetModules == ["v_proj", "q_proj"] && c.targetModulesRegex == nil)
        #expect(c.baseModelNameOrPath == "HuggingFaceTB/SmolLM2-135M-Instruct")
        #expect(c.loraDropout == 0.05 && c.rankPattern == ["q_proj": 4] && c.modulesToSave == nil)
        #expect(abs(c.scaling - 16 / 8.0.squareRoot()) < 1e-12)
        #expect(c.otherFields["init_lora_weights"] == "true")
        let regex = try PEFTAdapterConfig(json: #"{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":".*proj"}"#)
        #expect(regex.targetModulesRegex == ".*proj" && regex.scaling == 2)
        // Re-encoded text parses back to the same config.
        #expect(try PEFTAdapterConfig(json: c.jsonText()) == c)
    }

    @Test("missing or mistyped config fields are named")
    func configErrors() {
        #expect(throws: ModelFilesError.missingField(file: "adapter_config.json", field: "r")) {
            try PEFTAdapterConfig(json: #"{"peft_type":"LORA","lora_alpha":8}"#)
        }
        #expect(throws: ModelFilesError.missingField(file: "adapter_config.json", field: "peft_type")) {
            try PEFTAdapterConfig(json: #"{"r":8,"lora_alpha":8}"#)
        }
        #expect(throws: ModelFilesError.invalidField(file: "adapter_config.json", field: "r", reason: "not a positive integer")) {
            try PEFTAdapterConfig(json: #"{"peft_type":"LORA","r":0,"lora_alpha":8}"#)
        }
        #expect(throws: ModelFilesError.invalidField(file: "adapter_config.json", field: "target_modules", reason: "list holds a non-string")) {
            try PEFTAdapterConfig(json: #"{"peft_type":"LORA","r":2,"lora_alpha":8,"target_modules":[1]}"#)
        }
        #expect(throws: ModelFilesError.self) { try PEFTAdapterConfig(json: #"{"peft_type":"LORA","r":2,"r":3,"lora_alpha":8}"#) }
    }

    @Test("an adapter directory writes and reads back; missing files are reported")
    func directory() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ModelFilesError.missingFile(path: dir + "/adapter_config.json")) { try PEFTAdapterDirectory(path: dir) }
        let config = PEFTAdapterConfig(r: 2, loraAlpha: 4, targetModules: ["q_proj"], baseModelNameOrPath: "base")
        var w = SafetensorsWriter()
        let a = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
        let b = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"
        try w.add(name: a, floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try w.add(name: b, floats: [0, 0, 0, 0], shape: [2, 2])
        try PEFTAdapterDirectory.write(config: config, weights: w, to: dir)
        #expect(PEFTAdapterDirectory.isAdapterDirectory(dir))
        let back = try PEFTAdapterDirectory(path: dir)
        #expect(back.config == config)
        #expect(back.weights.metadata == ["format": "pt"])
        #expect(back.weights.tensor(named: a)?.shape == [2, 3])
        #expect(try back.weights.floats(named: a) == [1, 2, 3, 4, 5, 6])
        try FileManager.default.removeItem(atPath: dir + "/adapter_model.safetensors")
        #expect(throws: ModelFilesError.missingFile(path: dir + "/adapter_model.safetensors")) { try PEFTAdapterDirectory(path: dir) }
    }

    @Test("NPYWriter output equals numpy.save's bytes")
    func npy() throws {
        let a = try NPYWriter.encode([1, -2.5, 3, 0.25, 1e-3, -7], shape: [2, 3])
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: ModelFixtures.fixtures + "/numpy-2x3.npy"))))
        let b = try NPYWriter.encode([0, 0.25, 0.5, 0.75, 1], shape: [5])
        #expect(b == (try Data(contentsOf: URL(fileURLWithPath: ModelFixtures.fixtures + "/numpy-5.npy"))))
        #expect(throws: ModelFilesError.self) { try NPYWriter.encode([1, 2], shape: [3]) }
    }
}
