// The trainer's speed paths against their plain definitions: multi-block attention, row-blocked
// LoRA dropout, the shared-input frozen products, unfilled scratch and parallel zeroing, the chunked
// dropout mask, and the eight-lane exp / SwiGLU (docs/training.md §Speed).
import Foundation
import GradCheck
import Testing
@testable import Training
@testable import TrainingOps

@Suite("Trainer fast paths")
struct FastPathTests {
    @Test("attention in blocks of 2 query rows equals one block, forward and backward, and matches finite differences")
    func attentionBlocks() {
        let shape = AttentionShape(heads: 4, kvHeads: 2, headDim: 3)
        let batch = try! SequenceBatch.leftPadded(lengths: [7, 4], paddedLength: 7)
        let m = batch.tokenCount, qn = m * 12, kn = m * 6
        var d = Draw(seed: 31)
        let q = d.tensor(qn, scale: 2), k = d.tensor(kn, scale: 2), v = d.tensor(kn), dOut = d.tensor(qn)
        for row in 0..<m where !batch.isValid(row: row) { for j in 0..<12 { dOut[row * 12 + j] = 0 } }
        let out = Tensor<Double>(count: qn), lse = Tensor<Double>(count: m * 4)
        let out1 = Tensor<Double>(count: qn), lse1 = Tensor<Double>(count: m * 4)
        CausalAttention.forward(out: out1.pointer, lse: lse1.pointer, q: q.const, k: k.const, v: v.const,
                                batch: batch, shape: shape, rowBlock: 64)
        func loss() -> Double {
            CausalAttention.forward(out: out.pointer, lse: lse.pointer, q: q.const, k: k.const, v: v.const,
                                    batch: batch, shape: shape, rowBlock: 2)
            return dot(out, dOut)
        }
        _ = loss()
        for i in 0..<qn { #expect(abs(out[i] - out1[i]) < 1e-13) }
        for i in 0..<(m * 4) { #expect(abs(lse[i] - lse1[i]) < 1e-13) }
        let dq = Tensor<Double>(count: qn), dk = Tensor<Double>(count: kn), dv = Tensor<Double>(count: kn)
        let dq1 = Tensor<Double>(count: qn), dk1 = Tensor<Double>(count: kn), dv1 = Tensor<Double>(count: kn)
        CausalAttention.backward(dQ: dq.pointer, dK: dk.pointer, dV: dv.pointer, dOut: dOut.const, q: q.const, k: k.const,
                                 v: v.const, out: out.const, lse: lse.const, batch: batch, shape: shape, rowBlock: 2)
        CausalAttention.backward(dQ: dq1.pointer, dK: dk1.pointer, dV: dv1.pointer, dOut: dOut.const, q: q.const, k: k.const,
                                 v: v.const, out: out.const, lse: lse.const, batch: batch, shape: shape, rowBlock: 64)
        for i in 0..<qn { #expect(abs(dq[i] - dq1[i]) < 1e-12) }
        for i in 0..<kn { #expect(abs(dk[i] - dk1[i]) < 1e-12 && abs(dv[i] - dv1[i]) < 1e-12) }
        expectGradientsMatch([Checked("q", q, dq), Checked("k", k, dk), Checked("v", v, dv)], maxSamples: 60, loss: loss)
    }

    @Test("LoRA over many row blocks and chunks matches finite differences for x, A and B with dropout on")
    func loraBlocks() {
        let m = 3 * LoRALinear.rowBlock + 5, n = 4, k = 6, r = 3
        var d = Draw(seed: 32)
        let shape = LoRAShape(m: m, n: n, k: k, rank: r, scale: 4, dropout: 0.3)
        let x = d.tensor(m * k), w = d.tensor(n * k), a = d.tensor(r * k), b = d.tensor(n * r), dOut = d.tensor(m * n)
        let y = Tensor<Double>(count: m * n), u = Tensor<Double>(count: m * r)
        func loss() -> Double {
            LoRALinear.forward(out: y.pointer, saved: u.pointer, input: x.const, weight: w.const, bias: nil,
                               a: a.const, b: b.const, shape: shape, seed: 78)
            return dot(y, dOut)
        }
        _ = loss()
        // u is drop(x)·Aᵀ with the mask of Dropout.factor at the whole tensor's element index
        for i in 0..<m { for j in 0..<r {
            var s = 0.0
            for p in 0..<k { s += x[i * k + p] * Dropout.factor(seed: 78, index: i * k + p, p: 0.3, as: Double.self) * a[j * k + p] }
            #expect(abs(u[i * r + j] - s) < 1e-12)
        } }
        let dx = Tensor<Double>(count: m * k), da = Tensor<Double>(count: r * k), db = Tensor<Double>(count: n * r)
        LoRALinear.backward(dInput: dx.pointer, dA: da.pointer, dB: db.pointer, dOut: dOut.const, input: x.const,
                            saved: u.const, weight: w.const, a: a.const, b: b.const, shape: shape, seed: 78)
        expectGradientsMatch([Checked("x", x, dx), Checked("A", a, da), Checked("B", b, db)], maxSamples: 80, loss: loss)
    }

    @Test("buffers left unfilled are overwritten before use: NaN-poisoned scratch gives the same Float block, bit for bit")
    func unfilledBuffersAreOverwritten() {
        // Padding rows (lengths 5 and 3 in 5) and an unadapted gate exercise every path that
        // writes LlamaBlockActivations and LlamaBlock's scratch.
        let config = LlamaBlockConfig(dim: 16, ffnDim: 24, heads: 4, kvHeads: 2, headDim: 4, rmsEps: 1e-5,
                                      ropeBase: 10_000, loraRank: 2, loraAlpha: 8, loraDropout: 0.3,
                                      targets: .hdrecDefault)
        func run(poison: Bool) -> [Float] {
            TensorPoison.enabled.store(poison, ordering: .relaxed)
            defer { TensorPoison.enabled.store(false, ordering: .relaxed) }
            let block = TinyBlock<Float>(config: config, lengths: [5, 3], paddedLength: 5, seed: 61)
            let m = block.batch.tokenCount
            var rng = TrainingRNG(seed: 62)
            let x = Tensor<Float>(count: m * config.dim), dOut = Tensor<Float>(count: m * config.dim)
            for i in 0..<x.count { x[i] = Float(rng.uniform(-1, 1)); dOut[i] = Float(rng.uniform(-1, 1)) }
            let out = Tensor<Float>(count: m * config.dim), dx = Tensor<Float>(count: m * config.dim)
            let saved = LlamaBlockActivations<Float>(config: config, rows: m)
            block.forward(out: out, saved: saved, input: x, seed: 4)
            block.backward(dInput: dx, dOut: dOut, saved: saved, seed: 4)
            var all = out.array + dx.array + block.dAttnNorm.array + block.dFfnNorm.array
            for t in LlamaBlock.order where block.gradA[t] != nil { all += block.gradA[t]!.array + block.gradB[t]!.array }
            return all
        }
        let plain = run(poison: false), poisoned = run(poison: true)
        #expect(poisoned.allSatisfy { $0.isFinite })
        #expect(plain == poisoned)
    }

    @Test("q, k, v and gate, up from one shared frozen product equal one projection each, bit for bit")
    func sharedProjections() {
        let config = LlamaBlockConfig(dim: 16, ffnDim: 24, heads: 4, kvHeads: 2, headDim: 4, rmsEps: 1e-5,
                                      ropeBase: 10_000, loraRank: 2, loraAlpha: 8, loraDropout: 0.3,
                                      targets: [.q, .v, .up])
        let block = TinyBlock<Float>(config: config, lengths: [9, 6], paddedLength: 9, seed: 71)
        let m = block.batch.tokenCount // 18 rows: the tiled kernel
        var rng = TrainingRNG(seed: 72)
        let xn = Tensor<Float>(count: m * config.dim)
        for i in 0..<xn.count { xn[i] = Float(rng.uniform(-1, 1)) }
        let s1 = LlamaBlockActivations<Float>(config: config, rows: m), s2 = LlamaBlockActivations<Float>(config: config, rows: m)
        let w = block.weights, adapter = block.adapter
        for group in [[LoRATargets.q, .k, .v], [.gate, .up]] {
            let one = group.map { Tensor<Float>(count: m * config.projection($0).out) }
            let shared = group.map { Tensor<Float>(count: m * config.projection($0).out) }
            for (t, o) in zip(group, one) { LlamaBlock.project(t, out: o.pointer, input: xn.const, s1, w, adapter, config, m, 5) }
            LlamaBlock.projectShared(Array(zip(group, shared.map { $0.pointer })), input: xn.const, s2, w, adapter, config, m, 5)
            for i in group.indices { #expect(one[i].array == shared[i].array, "\(group[i])") }
            for t in group where config.targets.contains(t) { #expect(s1.u[t]!.array == s2.u[t]!.array, "u of \(t)") }
        }
    }

    @Test("RoPE's per-position cos/sin table gives the rows the per-row computation gives, bit for bit")
    func ropeTable() {
        // Positions [2, 0, 1] fit a table (all < M = 3); adding a row at position 7 (≥ M = 4)
        // makes the same call compute per row. The first three rows must agree exactly.
        let heads = 3, d = 8, width = heads * d
        var rng = TrainingRNG(seed: 81)
        let x = Tensor<Float>(count: 4 * width)
        for i in 0..<x.count { x[i] = Float(rng.uniform(-2, 2)) }
        for accumulate in [false, true] {
            let table = Tensor<Float>(count: 3 * width), perRow = Tensor<Float>(count: 4 * width)
            let p3: [Int32] = [2, 0, 1], p4: [Int32] = [2, 0, 1, 7]
            if accumulate {
                p3.withUnsafeBufferPointer { RoPE.backward(dInput: table.pointer, dOut: x.const, positions: $0.baseAddress!, m: 3, heads: heads, headDim: d, base: 100_000) }
                p4.withUnsafeBufferPointer { RoPE.backward(dInput: perRow.pointer, dOut: x.const, positions: $0.baseAddress!, m: 4, heads: heads, headDim: d, base: 100_000) }
            } else {
                p3.withUnsafeBufferPointer { RoPE.forward(out: table.pointer, input: x.const, positions: $0.baseAddress!, m: 3, heads: heads, headDim: d, base: 100_000) }
                p4.withUnsafeBufferPointer { RoPE.forward(out: perRow.pointer, input: x.const, positions: $0.baseAddress!, m: 4, heads: heads, headDim: d, base: 100_000) }
            }
            #expect(table.array == Array(perRow.array[0..<(3 * width)]), "accumulate=\(accumulate)")
        }
    }

    @Test("a large Tensor is zeroed in parallel chunks, up to its last element")
    func parallelZero() {
        let t = Tensor<Float>(count: (1 << 19) + 3)
        #expect(t.array.allSatisfy { $0 == 0 })
        for i in 0..<t.count { t[i] = 1 }
        t.zero()
        #expect(t.array.allSatisfy { $0 == 0 })
    }

    @Test("the chunked dropout mask equals the per-element factor at any start, and drops about p")
    func dropoutFactors() {
        let n = 10_001, p = 0.05
        for start in [0, 1, 4097] {
            let f = Tensor<Double>(count: n)
            Dropout.factors(f.pointer, seed: 5, start: start, count: n, p: p)
            for i in 0..<n { #expect(f[i] == Dropout.factor(seed: 5, index: start + i, p: p, as: Double.self)) }
        }
        let x = Tensor<Double>([Double](repeating: 1, count: 200_000)), y = Tensor<Double>(count: 200_000)
        Dropout.forward(out: y.pointer, input: x.const, count: 200_000, p: p, seed: 6)
        let dropped = Double(y.array.filter { $0 == 0 }.count) / 200_000
        #expect(abs(dropped - p) < 0.003)
    }

    @Test("Float's expInPlace (the fast exp) is within 3e-7 relative of libm, and SwiGLU's Float path matches Double")
    func fastExp() {
        var values: [Float] = []
        var x: Float = -87
        while x < 88 { values.append(x); x += 0.0137 }
        let buffer = Tensor<Float>(values)
        Float.expInPlace(buffer.pointer, count: values.count)
        for (i, v) in values.enumerated() {
            let exact = Foundation.exp(Double(v))
            #expect(abs(Double(buffer[i]) - exact) <= 3e-7 * exact, "exp(\(v))")
        }
        var d = Draw(seed: 33)
        let count = 1003
        let g = d.tensor(count, scale: 12), u = d.tensor(count, scale: 2), dh = d.tensor(count)
        let gf = Tensor<Float>(g.array.map(Float.init)), uf = Tensor<Float>(u.array.map(Float.init)), dhf = Tensor<Float>(dh.array.map(Float.init))
        let hd = Tensor<Double>(count: count), hf = Tensor<Float>(count: count)
        SwiGLU.forward(out: hd.pointer, gate: g.const, up: u.const, count: count)
        SwiGLU.forward(out: hf.pointer, gate: gf.const, up: uf.const, count: count)
        let dgd = Tensor<Double>(count: count), dud = Tensor<Double>(count: count)
        let dgf = Tensor<Float>(count: count), duf = Tensor<Float>(count: count)
        SwiGLU.backward(dGate: dgd.pointer, dUp: dud.pointer, dOut: dh.const, gate: g.const, up: u.const, count: count)
        SwiGLU.backward(dGate: dgf.pointer, dUp: duf.pointer, dOut: dhf.const, gate: gf.const, up: uf.const, count: count)
        for i in 0..<count {
            #expect(abs(Double(hf[i]) - hd[i]) < 1e-5 * max(1, abs(hd[i])))
            #expect(abs(Double(dgf[i]) - dgd[i]) < 1e-5 * max(1, abs(dgd[i])))
            #expect(abs(Double(duf[i]) - dud[i]) < 1e-5 * max(1, abs(dud[i])))
        }
    }
}
