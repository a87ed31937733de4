// The trainer on Qwen2- and Llama 3-style bases: q/k/v biases, NEOX rope (pairs (i, i + D/2))
// and Llama 3 rope frequency factors. Three checks:
//   1. finite differences: backward of a block with all three matches the loss's slope;
//   2. NEOX rope is NORM rope conjugated by the GGUF q/k row permutation (RoPEPermutation),
//      which is why a Llama file's permuted rows with NORM pairs equal HF's rotate_half;
//   3. the trainer's frozen forward equals the inference decoder (verified against llama.cpp
//      in LlamaTests/ArchitectureTests) on small random qwen2 and llama GGUF files.
import Foundation
import GradCheck
import Llama
import ModelFiles
import Testing
@testable import Training
import TrainingOps

@Suite("trainer on Qwen2 and Llama 3 bases")
struct ArchitectureBlockTests {
    static func qwen2Config() -> LlamaBlockConfig {
        var c = LlamaBlockConfig(dim: 16, ffnDim: 24, heads: 4, kvHeads: 2, headDim: 4, rmsEps: 1e-5, ropeBase: 10_000,
                                 loraRank: 2, loraAlpha: 8, loraDropout: 0.3, targets: .all)
        c.ropeStyle = .halves
        c.ropeFreqFactors = [1, 3.5]
        c.ropeFreqScale = 0.5
        return c
    }

    @Test("backward with biases, NEOX rope and frequency factors matches finite differences")
    func gradients() {
        let config = Self.qwen2Config()
        let block = TinyBlock<Double>(config: config, lengths: [5, 3], paddedLength: 5, seed: 71, biased: [.q, .k, .v])
        let m = block.batch.tokenCount
        var d = Draw(seed: 72)
        let x = d.tensor(m * config.dim), dOut = d.tensor(m * config.dim)
        for row in 0..<m where !block.batch.isValid(row: row) { for j in 0..<config.dim { dOut[row * config.dim + j] = 0 } }
        let out = Tensor<Double>(count: m * config.dim), saved = LlamaBlockActivations<Double>(config: config, rows: m)
        func loss() -> Double { block.forward(out: out, saved: saved, input: x, seed: 4); return dot(out, dOut) }
        let withBias = loss()
        let dx = Tensor<Double>(count: m * config.dim)
        block.backward(dInput: dx, dOut: dOut, saved: saved, seed: 4)
        var checked = [Checked("x", x, dx), Checked("attnNorm", block.frozen["attnNorm"]!, block.dAttnNorm)]
        for t in LlamaBlock.order {
            checked.append(Checked("A\(t.rawValue)", block.loraA[t]!, block.gradA[t]!))
            checked.append(Checked("B\(t.rawValue)", block.loraB[t]!, block.gradB[t]!))
        }
        #expect(expectGradientsMatch(checked, maxSamples: 24, loss: loss) < 1e-6)
        // The biases are read: without them the loss changes.
        block.biases = [:]
        #expect(abs(loss() - withBias) > 1e-3)
    }

    @Test("NEOX rope equals NORM rope on rows permuted the GGUF way")
    func neoxIsPermutedNorm() {
        let heads = 3, d = 8, m = 4
        var draw = Draw(seed: 81)
        let x = draw.tensor(m * heads * d)
        let positions: [Int32] = [0, 3, 7, 20]
        let factors: [Double] = [1, 2, 4, 8]
        let neox = Tensor<Double>(count: x.count), norm = Tensor<Double>(count: x.count)
        positions.withUnsafeBufferPointer { p in
            RoPE.forward(out: neox.pointer, input: x.const, positions: p.baseAddress!, m: m, heads: heads, headDim: d,
                         rope: RoPEParameters(base: 10_000, style: .halves, freqFactors: factors))
            // Each token's (heads·D) row is a column of a [heads·D, 1] matrix for the permutation.
            let width = heads * d
            var permuted: [Double] = []
            for t in 0..<m {
                let row: [Float] = x.array[t * width ..< (t + 1) * width].map { Float($0) }
                let moved: [Float] = RoPEPermutation.toGGUF(row, rows: width, cols: 1, heads: heads)
                permuted += moved.map { Double($0) }
            }
            let input = Tensor<Double>(permuted)
            RoPE.forward(out: norm.pointer, input: input.const, positions: p.baseAddress!, m: m, heads: heads, headDim: d,
                         rope: RoPEParameters(base: 10_000, style: .adjacentPairs, freqFactors: factors))
        }
        let width = heads * d
        for t in 0..<m {
            let row: [Float] = norm.array[t * width ..< (t + 1) * width].map { Float($0) }
            let back: [Float] = RoPEPermutation.toHF(row, rows: width, cols: 1, heads: heads)
            for j in 0..<width { #expect(abs(Double(back[j]) - neox[t * width + j]) < 1e-6) }
        }
        // And the two styles really differ.
        #expect(zip(neox.array, norm.array).contains { abs($0 - $1) > 1e-3 })
    }

    @Test("the frozen trainer forward equals the inference decoder", arguments: ["qwen2", "llama"])
    func matchesDecoder(architecture: String) throws {
        let file = try GGUFFile(data: try RandomBase.gguf(architecture: architecture))
        let decoder = try LlamaModel(gguf: file)
        #expect(decoder.config.architecture.rawValue == architecture)
        let base = try FrozenBase<Float>(gguf: file, layers: 2)
        #expect((base.ropeFreqFactors != nil) == (architecture == "llama"))
        #expect(base.layers[0].biases.count == (architecture == "qwen2" ? 3 : 0))
        let sequences: [[Int32]] = [[3, 17, 5, 9, 30, 2], [8, 1, 4]]
        let pool = sequences.map { Array(0..<$0.count) }
        let trainer = try HeadInitializer.frozenStates(base: base, sequences: sequences, addedRow: [], addedFrom: .max,
                                                       pool: pool)
        var row = 0, worst: Float = 0
        let c = decoder.config.width
        for seq in sequences {
            let out = try decoder.forward(.init(tokens: seq), cache: KVCache(config: decoder.config), logits: .none)
            for j in 0..<seq.count * c { worst = max(worst, abs(out.hidden[j] - trainer[row * c + j])) }
            row += seq.count
        }
        // f32 summation order only (hidden states are O(1) after the final norm).
        #expect(worst < 2e-4, "\(architecture): trainer vs decoder hidden states differ by up to \(worst)")
    }
}

/// Small random GGUF bases of each architecture (F32, 2 layers, width 16, GQA 4/2, 32 tokens, no
/// vocabulary: neither the decoder nor the trainer's frozen forward reads one).
enum RandomBase {
    static func gguf(architecture: String) throws -> Data {
        var rng = TrainingRNG(seed: architecture == "qwen2" ? 5 : 6)
        var w = GGUFWriter()
        let p = architecture + "."
        let (c, f, heads, kv, vocab) = (16, 24, 4, 2, 32)
        w.setValue(.string(architecture), forKey: "general.architecture")
        for (key, value) in [("block_count", 2), ("context_length", 64), ("embedding_length", c),
                             ("feed_forward_length", f), ("attention.head_count", heads), ("attention.head_count_kv", kv)] {
            w.setValue(.uint32(UInt32(value)), forKey: p + key)
        }
        w.setValue(.float32(10_000), forKey: p + "rope.freq_base")
        w.setValue(.float32(1e-5), forKey: p + "attention.layer_norm_rms_epsilon")
        func add(_ name: String, _ shape: [Int], _ lo: Double, _ hi: Double) throws {
            let values = (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform(lo, hi)) }
            try w.addTensor(name: name, floats: values, shape: shape.reversed(), as: .f32)
        }
        try add("token_embd.weight", [vocab, c], -1, 1)
        try add("output_norm.weight", [c], 0.7, 1.3)
        if architecture == "llama" { try add("rope_freqs.weight", [c / heads / 2], 1, 8) }
        let kvw = kv * c / heads
        for l in 0..<2 {
            let b = "blk.\(l)."
            try add(b + "attn_norm.weight", [c], 0.7, 1.3)
            try add(b + "ffn_norm.weight", [c], 0.7, 1.3)
            for (name, rows, cols) in [("attn_q", c, c), ("attn_k", kvw, c), ("attn_v", kvw, c), ("attn_output", c, c),
                                       ("ffn_gate", f, c), ("ffn_up", f, c), ("ffn_down", c, f)] {
                try add(b + name + ".weight", [rows, cols], -0.5, 0.5)
                if architecture == "qwen2", ["attn_q", "attn_k", "attn_v"].contains(name) {
                    try add(b + name + ".bias", [rows], -0.5, 0.5)
                }
            }
        }
        return try w.serialized()
    }
}
