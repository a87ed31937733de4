// The composite check: one Llama block with LoRA (RMSNorm → GQA attention with LoRA on q, k, v, o
// → residual → RMSNorm → SwiGLU FFN with LoRA → residual), tiny random sizes, Double, end to end.
import GradCheck
import Testing
@testable import Training
import TrainingOps

/// A tiny random block: frozen weights, one adapter on every target, gradient buffers.
final class TinyBlock<T: TrainScalar> {
    let config: LlamaBlockConfig
    let batch: SequenceBatch
    let positions: [Int32]
    var frozen: [String: Tensor<T>] = [:]
    var loraA: [LoRATargets: Tensor<T>] = [:], loraB: [LoRATargets: Tensor<T>] = [:]
    var gradA: [LoRATargets: Tensor<T>] = [:], gradB: [LoRATargets: Tensor<T>] = [:]
    /// Frozen biases (Qwen2-style blocks); none unless `biased` is given.
    var biases: [LoRATargets: Tensor<T>] = [:]
    let dAttnNorm: Tensor<T>, dFfnNorm: Tensor<T>

    init(config: LlamaBlockConfig, lengths: [Int], paddedLength: Int, seed: UInt64, biased: LoRATargets = []) {
        self.config = config
        batch = try! SequenceBatch.leftPadded(lengths: lengths, paddedLength: paddedLength)
        positions = batch.positions()
        var rng = TrainingRNG(seed: seed)
        func tensor(_ n: Int, _ lo: Double, _ hi: Double) -> Tensor<T> {
            let t = Tensor<T>(count: n)
            for i in 0..<n { t[i] = T(rng.uniform(lo, hi)) }
            return t
        }
        let c = config
        frozen["attnNorm"] = tensor(c.dim, 0.7, 1.3)
        frozen["ffnNorm"] = tensor(c.dim, 0.7, 1.3)
        for t in LlamaBlock.order {
            let p = c.projection(t)
            let bound = 1 / Double(p.in).squareRoot()
            frozen["\(t.rawValue)"] = tensor(p.out * p.in, -bound, bound)
            if c.targets.contains(t) {
                loraA[t] = tensor(c.loraRank * p.in, -0.3, 0.3)
                loraB[t] = tensor(p.out * c.loraRank, -0.3, 0.3)
                gradA[t] = Tensor(count: c.loraRank * p.in)
                gradB[t] = Tensor(count: p.out * c.loraRank)
            }
        }
        for t in LlamaBlock.order where biased.contains(t) { biases[t] = tensor(c.projection(t).out, -0.5, 0.5) }
        dAttnNorm = Tensor(count: c.dim); dFfnNorm = Tensor(count: c.dim)
    }

    var weights: LlamaBlockWeights<T> {
        func f(_ t: LoRATargets) -> UnsafePointer<T> { frozen["\(t.rawValue)"]!.const }
        var w = LlamaBlockWeights(attnNorm: frozen["attnNorm"]!.const, wq: f(.q), wk: f(.k), wv: f(.v), wo: f(.o),
                                  ffnNorm: frozen["ffnNorm"]!.const, wGate: f(.gate), wUp: f(.up), wDown: f(.down))
        w.biases = biases.mapValues { $0.const }
        return w
    }
    var adapter: LlamaBlockAdapter<T> {
        LlamaBlockAdapter(Dictionary(uniqueKeysWithValues: loraA.keys.map { ($0, LoRAWeights(a: loraA[$0]!.const, b: loraB[$0]!.const)) }))
    }
    var gradients: LlamaBlockGradients<T> {
        LlamaBlockGradients(attnNorm: dAttnNorm.pointer, ffnNorm: dFfnNorm.pointer,
                            byTarget: Dictionary(uniqueKeysWithValues: gradA.keys.map { ($0, LoRAGradients(a: gradA[$0]!.pointer, b: gradB[$0]!.pointer)) }))
    }

    func forward(out: Tensor<T>, saved: LlamaBlockActivations<T>, input: Tensor<T>, seed: UInt64) {
        positions.withUnsafeBufferPointer { p in
            LlamaBlock.forward(out: out.pointer, saved: saved, input: input.const, weights: weights, adapter: adapter,
                               batch: batch, positions: p.baseAddress!, config: config, seed: seed)
        }
    }

    func backward(dInput: Tensor<T>, dOut: Tensor<T>, saved: LlamaBlockActivations<T>, seed: UInt64) {
        positions.withUnsafeBufferPointer { p in
            LlamaBlock.backward(dInput: dInput.pointer, gradients: gradients, dOut: dOut.const, saved: saved,
                                weights: weights, adapter: adapter, batch: batch, positions: p.baseAddress!,
                                config: config, seed: seed)
        }
    }
}

@Suite("Llama block with LoRA, end to end")
struct LlamaBlockTests {
    let config = LlamaBlockConfig(dim: 8, ffnDim: 12, heads: 4, kvHeads: 2, headDim: 2, rmsEps: 1e-5, ropeBase: 10_000,
                                  loraRank: 2, loraAlpha: 8, loraDropout: 0.3, targets: .all)

    @Test("block backward matches finite differences for the input, every adapter's A and B, and both norm gains")
    func blockGradients() {
        let block = TinyBlock<Double>(config: config, lengths: [4, 2], paddedLength: 4, seed: 51)
        let m = block.batch.tokenCount
        var d = Draw(seed: 52)
        let x = d.tensor(m * config.dim), dOut = d.tensor(m * config.dim)
        for row in 0..<m where !block.batch.isValid(row: row) { for j in 0..<config.dim { dOut[row * config.dim + j] = 0 } }
        let out = Tensor<Double>(count: m * config.dim), saved = LlamaBlockActivations<Double>(config: config, rows: m)
        func loss() -> Double { block.forward(out: out, saved: saved, input: x, seed: 9); return dot(out, dOut) }
        _ = loss()
        let dx = Tensor<Double>(count: m * config.dim)
        block.backward(dInput: dx, dOut: dOut, saved: saved, seed: 9)
        var checked = [Checked("x", x, dx), Checked("attnNorm", block.frozen["attnNorm"]!, block.dAttnNorm),
                       Checked("ffnNorm", block.frozen["ffnNorm"]!, block.dFfnNorm)]
        for t in LlamaBlock.order {
            checked.append(Checked("A\(t.rawValue)", block.loraA[t]!, block.gradA[t]!))
            checked.append(Checked("B\(t.rawValue)", block.loraB[t]!, block.gradB[t]!))
        }
        let worst = expectGradientsMatch(checked, maxSamples: 24, loss: loss)
        #expect(worst < 1e-6)
        // padding rows get no gradient when the loss does not read them
        for row in 0..<m where !block.batch.isValid(row: row) {
            for j in 0..<config.dim { #expect(dx[row * config.dim + j] == 0) }
        }
        // backward twice doubles every gradient
        let once = checked.map { $0.gradient.array }
        block.backward(dInput: dx, dOut: dOut, saved: saved, seed: 9)
        for (c, o) in zip(checked, once) { expectDoubled(o, c.gradient, c.name) }
    }

    @Test("the Float block agrees with the Double block (the Float path uses the fast GEMMs)")
    func floatMatchesDouble() {
        let bd = TinyBlock<Double>(config: config, lengths: [4, 3], paddedLength: 4, seed: 61)
        let bf = TinyBlock<Float>(config: config, lengths: [4, 3], paddedLength: 4, seed: 61)
        let m = bd.batch.tokenCount
        var d = Draw(seed: 62)
        let xd = d.tensor(m * config.dim), dOutD = d.tensor(m * config.dim)
        let xf = Tensor<Float>(xd.array.map(Float.init)), dOutF = Tensor<Float>(dOutD.array.map(Float.init))
        let od = Tensor<Double>(count: xd.count), of = Tensor<Float>(count: xd.count)
        let sd = LlamaBlockActivations<Double>(config: config, rows: m), sf = LlamaBlockActivations<Float>(config: config, rows: m)
        bd.forward(out: od, saved: sd, input: xd, seed: 3)
        bf.forward(out: of, saved: sf, input: xf, seed: 3)
        for i in 0..<od.count { #expect(abs(Double(of[i]) - od[i]) < 1e-5) }
        let gd = Tensor<Double>(count: xd.count), gf = Tensor<Float>(count: xd.count)
        bd.backward(dInput: gd, dOut: dOutD, saved: sd, seed: 3)
        bf.backward(dInput: gf, dOut: dOutF, saved: sf, seed: 3)
        for i in 0..<gd.count { #expect(abs(Double(gf[i]) - gd[i]) < 1e-4) }
        for t in LlamaBlock.order {
            for i in 0..<bd.gradA[t]!.count { #expect(abs(Double(bf.gradA[t]![i]) - bd.gradA[t]![i]) < 1e-4) }
        }
    }

    @Test("saved activations per token follow the documented count")
    func memoryAccounting() {
        let saved = LlamaBlockActivations<Float>(config: .smolLM2, rows: 10)
        #expect(saved.byteCount == 10 * LlamaBlockActivations<Float>.bytesPerToken(.smolLM2))
        // 2·576 + 2·576 + 2·192 + 9 + 2 + 2·1536 + 6·8 floats
        #expect(LlamaBlockActivations<Float>.bytesPerToken(.smolLM2) == 4 * (2 * 576 + 2 * 576 + 2 * 192 + 9 + 2 + 2 * 1536 + 48))
    }
}
