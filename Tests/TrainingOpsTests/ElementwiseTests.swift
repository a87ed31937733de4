// Gradient checks for SiLU, SwiGLU, dropout, RMSNorm and RoPE, plus their defining values.
import Foundation
import Testing
import GradCheck
@testable import TrainingOps

@Suite("Elementwise ops, RMSNorm and RoPE")
struct ElementwiseTests {
    @Test("SiLU and SwiGLU backward match finite differences and accumulate")
    func siluSwiGLU() {
        var d = Draw(seed: 11)
        let n = 40
        let x = d.tensor(n, scale: 4), up = d.tensor(n, scale: 2), dOut = d.tensor(n)
        let y = Tensor<Double>(count: n)
        func siluLoss() -> Double { SiLU.forward(out: y.pointer, input: x.const, count: n); return dot(y, dOut) }
        let dx = Tensor<Double>(count: n)
        SiLU.backward(dInput: dx.pointer, dOut: dOut.const, input: x.const, count: n)
        expectGradientsMatch([Checked("x", x, dx)], loss: siluLoss)
        let once = dx.array
        SiLU.backward(dInput: dx.pointer, dOut: dOut.const, input: x.const, count: n)
        expectDoubled(once, dx, "dSiLU")

        func gluLoss() -> Double {
            SwiGLU.forward(out: y.pointer, gate: x.const, up: up.const, count: n); return dot(y, dOut)
        }
        let dg = Tensor<Double>(count: n), du = Tensor<Double>(count: n)
        SwiGLU.backward(dGate: dg.pointer, dUp: du.pointer, dOut: dOut.const, gate: x.const, up: up.const, count: n)
        expectGradientsMatch([Checked("gate", x, dg), Checked("up", up, du)], loss: gluLoss)
        let o1 = dg.array, o2 = du.array
        SwiGLU.backward(dGate: dg.pointer, dUp: du.pointer, dOut: dOut.const, gate: x.const, up: up.const, count: n)
        expectDoubled(o1, dg, "dGate"); expectDoubled(o2, du, "dUp")
        // silu(x) = x·σ(x) at a few points
        let probe = Tensor<Double>([-3, 0, 1.5]), out = Tensor<Double>(count: 3)
        SiLU.forward(out: out.pointer, input: probe.const, count: 3)
        for i in 0..<3 { #expect(abs(out[i] - probe[i] / (1 + Foundation.exp(-probe[i]))) < 1e-15) }
    }

    @Test("dropout backward is the forward mask, so it matches finite differences")
    func dropoutGradient() {
        var d = Draw(seed: 12)
        let n = 30
        let x = d.tensor(n), dOut = d.tensor(n), y = Tensor<Double>(count: n)
        func loss() -> Double {
            Dropout.forward(out: y.pointer, input: x.const, count: n, p: 0.4, seed: 5); return dot(y, dOut)
        }
        let dx = Tensor<Double>(count: n)
        Dropout.backward(dInput: dx.pointer, dOut: dOut.const, count: n, p: 0.4, seed: 5)
        expectGradientsMatch([Checked("x", x, dx)], loss: loss)
    }

    @Test("RMSNorm forward normalises rows; backward matches finite differences for x and weight")
    func rmsNorm() {
        var d = Draw(seed: 13)
        let m = 4, c = 7
        let x = d.tensor(m * c, scale: 2), w = d.tensor(c), dOut = d.tensor(m * c)
        let y = Tensor<Double>(count: m * c), rstd = Tensor<Double>(count: m)
        func loss() -> Double {
            RMSNorm.forward(out: y.pointer, rstd: rstd.pointer, input: x.const, weight: w.const, m: m, c: c, eps: 1e-5)
            return dot(y, dOut)
        }
        _ = loss()
        // independent check of the definition: row 0
        let ms = (0..<c).map { x[$0] * x[$0] }.reduce(0, +) / Double(c)
        #expect(abs(y[2] - x[2] / (ms + 1e-5).squareRoot() * w[2]) < 1e-14)
        let dx = Tensor<Double>(count: m * c), dw = Tensor<Double>(count: c)
        func backward() {
            RMSNorm.backward(dInput: dx.pointer, dWeight: dw.pointer, dOut: dOut.const, input: x.const,
                             weight: w.const, rstd: rstd.const, m: m, c: c)
        }
        backward()
        expectGradientsMatch([Checked("x", x, dx), Checked("weight", w, dw)], loss: loss)
        let o1 = dx.array, o2 = dw.array
        backward()
        expectDoubled(o1, dx, "dX"); expectDoubled(o2, dw, "dWeight")
    }

    @Test("RoPE rotates adjacent pairs by pos·base^(-2i/D); backward is the inverse rotation")
    func rope() {
        var d = Draw(seed: 14)
        let m = 3, h = 2, dim = 6, base = 100_000.0
        let positions: [Int32] = [0, 1, 7]
        let x = d.tensor(m * h * dim), dOut = d.tensor(m * h * dim), y = Tensor<Double>(count: m * h * dim)
        func loss() -> Double {
            positions.withUnsafeBufferPointer { p in
                RoPE.forward(out: y.pointer, input: x.const, positions: p.baseAddress!, m: m, heads: h,
                             headDim: dim, base: base)
            }
            return dot(y, dOut)
        }
        _ = loss()
        // position 0 is the identity
        for i in 0..<(h * dim) { #expect(y[i] == x[i]) }
        // token 2 (pos 7), head 1, pair 1 (elements 2 and 3): angle 7·base^(-2/6)
        let angle = 7 * Foundation.pow(base, -2.0 / 6.0)
        let off = (2 * h + 1) * dim + 2
        #expect(abs(y[off] - (x[off] * Foundation.cos(angle) - x[off + 1] * Foundation.sin(angle))) < 1e-14)
        #expect(abs(y[off + 1] - (x[off] * Foundation.sin(angle) + x[off + 1] * Foundation.cos(angle))) < 1e-14)
        let dx = Tensor<Double>(count: m * h * dim)
        func backward() {
            positions.withUnsafeBufferPointer { p in
                RoPE.backward(dInput: dx.pointer, dOut: dOut.const, positions: p.baseAddress!, m: m, heads: h,
                              headDim: dim, base: base)
            }
        }
        backward()
        expectGradientsMatch([Checked("x", x, dx)], loss: loss)
        let once = dx.array
        backward()
        expectDoubled(once, dx, "dX")
    }
}
