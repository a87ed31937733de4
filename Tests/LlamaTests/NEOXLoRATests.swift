// LoRA on a NEOX-rope base (Qwen2): convert_hf_to_gguf.py leaves its W_q/W_k rows in Hugging
// Face order, so a PEFT lora_B for q or k must be used as is, where on a Llama base it is
// permuted into GGUF row order (RoPEPermutation.swift). Checked on the PEFT file this module
// writes: B of q and k equals the adapter's B on qwen2 and the permuted B on llama.
import Foundation
import ModelFiles
import Testing
@testable import Llama

@Suite("LoRA B row order on NEOX-rope bases")
struct NEOXLoRATests {
    static func config(_ architecture: ModelArchitecture) throws -> LlamaConfig {
        try LlamaConfig(architecture: architecture, layerCount: 1, width: 16, ffnWidth: 24, headCount: 4,
                        kvHeadCount: 2, rmsEpsilon: 1e-5, vocabSize: 32, contextLength: 64)
    }

    @Test("the q/k permutation applies to llama only")
    func permutationHeads() throws {
        let llama = try Self.config(.llama), qwen2 = try Self.config(.qwen2)
        #expect(RoPEPermutation.heads(for: .q, config: llama) == 4)
        #expect(RoPEPermutation.heads(for: .k, config: llama) == 2)
        for t in LoRATarget.allCases { #expect(RoPEPermutation.heads(for: t, config: qwen2) == nil) }
    }

    @Test("PEFT lora_B of q and k is written unpermuted for qwen2, permuted for llama",
          arguments: [ModelArchitecture.qwen2, .llama])
    func peftRowOrder(architecture: ModelArchitecture) throws {
        let config = try Self.config(architecture)
        let adapter = try LoRAAdapter.fresh(name: "t", base: config, rank: 2, alpha: 4, targets: [.q, .k, .v], seed: 3)
        // fresh() starts B at zero; give every pair a recognisable B.
        var pairs: [LoRASite: LoRAPair] = [:]
        for (site, pair) in adapter.pairs {
            let b = (0..<pair.b.count).map { Float($0 + 1) }
            pairs[site] = try LoRAPair(a: pair.a, b: b, rank: pair.rank, inFeatures: pair.inFeatures, outFeatures: pair.outFeatures)
        }
        let named = try LoRAAdapter(name: "t", alpha: 4, base: config, pairs: pairs)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neox-lora-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try named.writePEFT(to: dir)
        let file = try SafetensorsFile(path: dir + "/adapter_model.safetensors")
        for (site, pair) in pairs {
            let written = try file.floats(named: site.peftPrefix + ".lora_B.weight")
            let heads = site.target == .q ? 4 : 2
            let expected = architecture == .qwen2 || site.target == .v
                ? pair.b : RoPEPermutation.toHF(pair.b, rows: pair.outFeatures, cols: pair.rank, heads: heads)
            #expect(written == expected, "\(architecture) \(site)")
        }
        // And it reads back as the same adapter.
        let back = try LoRAAdapter(peftDirectory: dir, name: "t", base: config)
        for (site, pair) in pairs { #expect(back.pairs[site]?.b == pair.b, "\(architecture) \(site) read back") }
    }

    @Test("a llama.cpp GGUF LoRA carries its base's architecture and is refused on the other")
    func ggufArchitecture() throws {
        let qwen2 = try Self.config(.qwen2), llama = try Self.config(.llama)
        let adapter = try LoRAAdapter.fresh(name: "t", base: qwen2, rank: 2, alpha: 4, targets: [.q, .v], seed: 5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("neox-lora-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try adapter.writeGGUF(to: path)
        #expect(try GGUFFile(path: path).string("general.architecture") == "qwen2")
        let back = try LoRAAdapter(ggufPath: path, name: "t", base: qwen2)
        for (site, pair) in adapter.pairs { #expect(back.pairs[site]?.b == pair.b && back.pairs[site]?.a == pair.a) }
        #expect(throws: LlamaError.adapterArchitectureMismatch(expected: "llama", found: "qwen2")) {
            _ = try LoRAAdapter(ggufPath: path, name: "t", base: llama)
        }
    }
}
