// Forward values against independent numpy references (Tools/training_golden.py): a Llama block
// computed the Hugging Face way (rotate-half RoPE) vs ours on GGUF-permuted weights (adjacent-pair
// RoPE), and AdamW + cosine schedule + clipping vs torch's update rule.
import Foundation
import Testing
@testable import Training
import TrainingOps

struct TrainingGolden: Decodable {
    struct Block: Decodable {
        let dim: Int, ffn: Int, heads: Int, kvHeads: Int, headDim: Int, rank: Int
        let alpha: Double, eps: Double, ropeBase: Double
        let lengths: [Int], paddedLength: Int
        let attnNorm: [Double], ffnNorm: [Double], x: [Double]
        let weights: [String: [Double]], loraA: [String: [Double]], loraB: [String: [Double]]
        let validRows: [Int], out: [Double]
    }
    struct Optim: Decodable {
        let lr: Double, warmup: Int, total: Int, weightDecay: Double, beta1: Double, beta2: Double, eps: Double
        let maxNorm: Double, decay: [Bool], `init`: [[Double]], grads: [[[Double]]]
        let learningRates: [Double], norms: [Double], final: [[Double]]
    }
    let block: Block
    let optim: Optim

    static func load() throws -> TrainingGolden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/training-golden.json")
        return try JSONDecoder().decode(TrainingGolden.self, from: Data(contentsOf: url))
    }
}

@Suite("Golden values from numpy")
struct GoldenTests {
    @Test("the block on GGUF-permuted weights with adjacent-pair RoPE equals the HF rotate-half block")
    func blockMatchesHuggingFaceLayout() throws {
        let g = try TrainingGolden.load().block
        let config = LlamaBlockConfig(dim: g.dim, ffnDim: g.ffn, heads: g.heads, kvHeads: g.kvHeads, headDim: g.headDim,
                                      rmsEps: g.eps, ropeBase: g.ropeBase, loraRank: g.rank, loraAlpha: g.alpha,
                                      loraDropout: 0, targets: .all)
        let names: [LoRATargets: String] = [.q: "q", .k: "k", .v: "v", .o: "o", .gate: "gate", .up: "up", .down: "down"]
        var w: [LoRATargets: Tensor<Double>] = [:], a: [LoRATargets: Tensor<Double>] = [:], b: [LoRATargets: Tensor<Double>] = [:]
        for (t, n) in names {
            w[t] = Tensor(try #require(g.weights[n])); a[t] = Tensor(try #require(g.loraA[n])); b[t] = Tensor(try #require(g.loraB[n]))
        }
        let attnNorm = Tensor(g.attnNorm), ffnNorm = Tensor(g.ffnNorm), x = Tensor(g.x)
        let weights = LlamaBlockWeights(attnNorm: attnNorm.const, wq: w[.q]!.const, wk: w[.k]!.const, wv: w[.v]!.const,
                                        wo: w[.o]!.const, ffnNorm: ffnNorm.const, wGate: w[.gate]!.const,
                                        wUp: w[.up]!.const, wDown: w[.down]!.const)
        let adapter = LlamaBlockAdapter(Dictionary(uniqueKeysWithValues: names.keys.map { ($0, LoRAWeights(a: a[$0]!.const, b: b[$0]!.const)) }))
        let batch = try SequenceBatch.leftPadded(lengths: g.lengths, paddedLength: g.paddedLength)
        let positions = batch.positions()
        let out = Tensor<Double>(count: x.count), saved = LlamaBlockActivations<Double>(config: config, rows: batch.tokenCount)
        positions.withUnsafeBufferPointer { p in
            LlamaBlock.forward(out: out.pointer, saved: saved, input: x.const, weights: weights, adapter: adapter,
                               batch: batch, positions: p.baseAddress!, config: config, seed: 0)
        }
        for row in g.validRows {
            for j in 0..<g.dim {
                let i = row * g.dim + j
                #expect(abs(out[i] - g.out[i]) < 1e-12, "row \(row) col \(j): \(out[i]) vs \(g.out[i])")
            }
        }
    }

    @Test("AdamW with decay mask, cosine warm-up schedule and global-norm clipping follow torch's update rule")
    func optimizerMatchesTorchRule() throws {
        let g = try TrainingGolden.load().optim
        var layout = ParameterLayout()
        try layout.add("decayed", shape: [g.`init`[0].count], decay: g.decay[0], group: "a")
        try layout.add("plain", shape: [g.`init`[1].count], decay: g.decay[1], group: "a")
        let store = ParameterStore<Double>(layout: layout)
        for (i, v) in (g.`init`[0] + g.`init`[1]).enumerated() { store.parameters[i] = v }
        let adam = AdamW(beta1: g.beta1, beta2: g.beta2, eps: g.eps, weightDecay: g.weightDecay)
        let schedule = CosineSchedule(baseLearningRate: g.lr, warmupSteps: g.warmup, totalSteps: g.total)
        for step in 0..<g.total {
            store.zeroGradients()
            for (i, v) in (g.grads[step][0] + g.grads[step][1]).enumerated() { store.gradients[i] += v }
            let norm = GradientClipping.clipGlobalNorm(store, maxNorm: g.maxNorm)
            #expect(abs(norm - g.norms[step]) < 1e-12)
            let lr = schedule.learningRate(step: step)
            #expect(abs(lr - g.learningRates[step]) < 1e-15)
            adam.step(store, learningRate: lr)
        }
        for (i, v) in (g.final[0] + g.final[1]).enumerated() { #expect(abs(store.parameters[i] - v) < 1e-12) }
        #expect(store.steps == [g.total, g.total])
    }
}
