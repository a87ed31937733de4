// The factorized IPL and the SASRec-anchored residual: gradient checks and forward definitions.
import GradCheck
import Testing
@testable import Training
import TrainingOps

@Suite("Factorized IPL and anchored residual")
struct FactorizedHeadTests {
    @Test("factorized IPL backward matches finite differences for h, Wp, bp and the item bias")
    func factorized() {
        var d = Draw(seed: 51)
        let s = FactorizedIPLShape(rows: 3, dim: 5, width: 4, items: 7)
        let h = d.tensor(s.rows * s.dim), wp = d.tensor(s.width * s.dim), bp = d.tensor(s.width)
        let bias = d.tensor(s.items), e = d.tensor(s.items * s.width), dOut = d.tensor(s.rows * s.items)
        let w = FactorizedIPLWeights(projection: wp.const, projectionBias: bp.const, itemBias: bias.const, items: e.const)
        let z = Tensor<Double>(count: s.rows * s.items), p = Tensor<Double>(count: s.rows * s.width)
        func loss() -> Double {
            FactorizedIPL.forward(logits: z.pointer, saved: p.pointer, input: h.const, weights: w, shape: s)
            return dot(z, dOut)
        }
        _ = loss()
        // Forward against its definition: z[r, i] = (h[r]·Wpᵀ + bp)·E[i] + b[i].
        for r in 0 ..< s.rows {
            for i in 0 ..< s.items {
                var want = bias[i]
                for k in 0 ..< s.width {
                    var pk = bp[k]
                    for c in 0 ..< s.dim { pk += h[r * s.dim + c] * wp[k * s.dim + c] }
                    want += pk * e[i * s.width + k]
                }
                #expect(abs(z[r * s.items + i] - want) < 1e-12)
            }
        }
        let dh = Tensor<Double>(count: h.count), dwp = Tensor<Double>(count: wp.count)
        let dbp = Tensor<Double>(count: bp.count), db = Tensor<Double>(count: bias.count)
        func backward() {
            FactorizedIPL.backward(dInput: dh.pointer,
                                   gradients: FactorizedIPLGradients(projection: dwp.pointer, projectionBias: dbp.pointer, itemBias: db.pointer),
                                   dLogits: dOut.const, input: h.const, weights: w, shape: s)
        }
        backward()
        expectGradientsMatch([Checked("h", h, dh), Checked("Wp", wp, dwp), Checked("bp", bp, dbp), Checked("b", bias, db)],
                             loss: loss)
        let before = [dh.array, dwp.array, dbp.array, db.array]
        backward()
        expectDoubled(before[0], dh, "dH"); expectDoubled(before[1], dwp, "dWp")
        expectDoubled(before[2], dbp, "dbp"); expectDoubled(before[3], db, "db")
    }

    @Test("anchored residual: γ = 0 gives the anchor exactly; backward matches finite differences for z and γ")
    func anchored() {
        var d = Draw(seed: 52)
        let n = 11
        let anchor = d.tensor(n), z = d.tensor(n), dOut = d.tensor(n)
        let gate = Tensor<Double>([0])
        let out = Tensor<Double>(count: n)
        AnchoredResidual.forward(out: out.pointer, anchor: anchor.const, residual: z.const, gate: gate[0], count: n)
        #expect(out.array == anchor.array)
        gate[0] = 0.7
        func loss() -> Double {
            AnchoredResidual.forward(out: out.pointer, anchor: anchor.const, residual: z.const, gate: gate[0], count: n)
            return dot(out, dOut)
        }
        let dz = Tensor<Double>(count: n), dg = Tensor<Double>(count: 1)
        AnchoredResidual.backward(dResidual: dz.pointer, dGate: dg.pointer, dOut: dOut.const, residual: z.const, gate: gate[0], count: n)
        expectGradientsMatch([Checked("z", z, dz), Checked("gamma", gate, dg)], loss: loss)
    }
}
