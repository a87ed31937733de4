// Gradient checks of the ops SASRec is built from: LayerNorm, GELU, causal attention over packed
// sequences (with a fixed dropout mask) and the fused softmax cross-entropy. The whole model's
// check is RecSysTests/GradientCheckTests.swift.
import Foundation
import GradCheck
import Testing
@testable import TrainingOps

@Suite("LayerNorm, GELU, packed causal attention, fused cross-entropy")
struct SASRecOpsTests {
    @Test("LayerNorm normalises rows to mean 0 and variance 1; backward matches finite differences for x, γ and β")
    func layerNorm() {
        var d = Draw(seed: 2)
        let m = 3, c = 6
        let x = d.tensor(m * c, scale: 2), gamma = d.tensor(c), beta = d.tensor(c), dOut = d.tensor(m * c)
        let y = Tensor<Double>(count: m * c), xhat = Tensor<Double>(count: m * c), rstd = Tensor<Double>(count: m)
        func loss() -> Double {
            LayerNorm.forward(out: y.pointer, xhat: xhat.pointer, rstd: rstd.pointer, input: x.const, gamma: gamma.const,
                              beta: beta.const, m: m, c: c, eps: 1e-12)
            return dot(y, dOut)
        }
        _ = loss()
        let row = (0..<c).map { xhat[c + $0] }
        #expect(abs(row.reduce(0, +)) < 1e-12)
        #expect(abs(row.map { $0 * $0 }.reduce(0, +) / Double(c) - 1) < 1e-9)
        #expect(abs(y[c + 2] - (xhat[c + 2] * gamma[2] + beta[2])) < 1e-14)
        let dx = Tensor<Double>(count: m * c), dg = Tensor<Double>(count: c), db = Tensor<Double>(count: c)
        func backward() {
            LayerNorm.backward(dInput: dx.pointer, dGamma: dg.pointer, dBeta: db.pointer, dOut: dOut.const,
                               xhat: xhat.const, rstd: rstd.const, gamma: gamma.const, m: m, c: c)
        }
        backward()
        expectGradientsMatch([Checked("x", x, dx), Checked("gamma", gamma, dg), Checked("beta", beta, db)], loss: loss)
        let once = [dx.array, dg.array, db.array]
        backward()
        expectDoubled(once[0], dx, "dX"); expectDoubled(once[1], dg, "dGamma"); expectDoubled(once[2], db, "dBeta")
    }

    @Test("GELU is x·Φ(x); its backward matches finite differences and accumulates")
    func gelu() {
        var d = Draw(seed: 3)
        let n = 20
        let x = d.tensor(n, scale: 3), dOut = d.tensor(n), y = Tensor<Double>(count: n)
        func loss() -> Double { GELU.forward(out: y.pointer, input: x.const, count: n); return dot(y, dOut) }
        _ = loss()
        #expect(abs(y[4] - x[4] * 0.5 * erfc(-x[4] / 2.0.squareRoot())) < 1e-14)
        let dx = Tensor<Double>(count: n)
        GELU.backward(dInput: dx.pointer, dOut: dOut.const, input: x.const, count: n)
        expectGradientsMatch([Checked("x", x, dx)], loss: loss)
        let once = dx.array
        GELU.backward(dInput: dx.pointer, dOut: dOut.const, input: x.const, count: n)
        expectDoubled(once, dx, "dX")
    }

    @Test("packed causal attention, with and without a dropout mask: dq, dk, dv match finite differences")
    func packedAttention() {
        var d = Draw(seed: 4)
        let heads = 2, width = 6
        let starts = [0, 3, 4, 8]   // lengths 3, 1, 4
        let rows = 8
        let offsets = PackedCausalAttention.offsets(starts: starts, heads: heads)
        let q = d.tensor(rows * width), k = d.tensor(rows * width), v = d.tensor(rows * width), dOut = d.tensor(rows * width)
        let dropped = Tensor<Double>((0..<offsets.last!).map { _ in d.rng.nextUnit() < 0.3 ? 0 : 1 / 0.7 })
        for mask in [nil, dropped] {
            let out = Tensor<Double>(count: rows * width), probs = Tensor<Double>(count: offsets.last!)
            func loss() -> Double {
                PackedCausalAttention.forward(out: out.pointer, probs: probs.pointer, q: q.const, k: k.const, v: v.const,
                                              mask: mask?.const, starts: starts, offsets: offsets, heads: heads, d: width)
                return dot(out, dOut)
            }
            _ = loss()
            // Row 1 of head 0 in sequence 0 weighs keys 0 and 1 only, and its weights sum to 1.
            #expect(abs(probs[offsets[0] + 3] + probs[offsets[0] + 4] - 1) < 1e-14)
            #expect(probs[offsets[0] + 5] == 0)
            let dq = Tensor<Double>(count: rows * width), dk = Tensor<Double>(count: rows * width)
            let dv = Tensor<Double>(count: rows * width)
            PackedCausalAttention.backward(dQ: dq.pointer, dK: dk.pointer, dV: dv.pointer, dOut: dOut.const, q: q.const,
                                           k: k.const, v: v.const, probs: probs.const, mask: mask?.const,
                                           starts: starts, offsets: offsets, heads: heads, d: width)
            expectGradientsMatch([Checked("q", q, dq), Checked("k", k, dk), Checked("v", v, dv)], maxSamples: 200, loss: loss)
        }
    }

    @Test("the fused cross-entropy returns Σ −log softmax at the targets and leaves the scaled gradient in the logits")
    func fusedCrossEntropy() {
        var d = Draw(seed: 5)
        let rows = 4, classes = 7, scale = 0.25
        let logits = d.tensor(rows * classes, scale: 3)
        let targets = [0, 6, 3, 3]
        func loss() -> Double {
            var total = 0.0
            for r in 0..<rows {
                let z = (0..<classes).map { logits[r * classes + $0] }
                let mx = z.max()!
                total += Foundation.log(z.map { Foundation.exp($0 - mx) }.reduce(0, +)) + mx - z[targets[r]]
            }
            return total * scale
        }
        let gradient = Tensor<Double>(logits.array)
        let value = SoftmaxCrossEntropy.lossAndGradientInPlace(logits: gradient.pointer, targets: targets, v: classes,
                                                               gradScale: scale)
        #expect(abs(value * scale - loss()) < 1e-12)
        expectGradientsMatch([Checked("logits", logits, gradient)], loss: loss)
    }
}
