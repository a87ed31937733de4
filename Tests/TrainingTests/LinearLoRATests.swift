// Gradient checks and invariants for LoRALinear (Linear's own are in TrainingOpsTests).
import GradCheck
import Testing
@testable import Training
import TrainingOps

@Suite("LoRA")
struct LinearLoRATests {
    let m = 5, n = 4, k = 6

    @Test("LoRA backward matches finite differences for x, A and B with dropout on")
    func loraGradients() {
        var d = Draw(seed: 2)
        let r = 3
        let shape = LoRAShape(m: m, n: n, k: k, rank: r, scale: 4, dropout: 0.3)
        let x = d.tensor(m * k), w = d.tensor(n * k), a = d.tensor(r * k), b = d.tensor(n * r)
        let dOut = d.tensor(m * n)
        let y = Tensor<Double>(count: m * n), u = Tensor<Double>(count: m * r)
        func loss() -> Double {
            LoRALinear.forward(out: y.pointer, saved: u.pointer, input: x.const, weight: w.const, bias: nil,
                               a: a.const, b: b.const, shape: shape, seed: 77)
            return dot(y, dOut)
        }
        _ = loss()
        let dx = Tensor<Double>(count: m * k), da = Tensor<Double>(count: r * k), dB = Tensor<Double>(count: n * r)
        func backward() {
            LoRALinear.backward(dInput: dx.pointer, dA: da.pointer, dB: dB.pointer, dOut: dOut.const,
                                input: x.const, saved: u.const, weight: w.const, a: a.const, b: b.const,
                                shape: shape, seed: 77)
        }
        backward()
        expectGradientsMatch([Checked("x", x, dx), Checked("A", a, da), Checked("B", b, dB)], loss: loss)
        let once = [dx.array, da.array, dB.array]
        backward()
        expectDoubled(once[0], dx, "dX"); expectDoubled(once[1], da, "dA"); expectDoubled(once[2], dB, "dB")
    }

    @Test("LoRA with B = 0 reproduces the frozen layer exactly")
    func zeroBIsBase() {
        var d = Draw(seed: 3)
        let r = 2
        let shape = LoRAShape(m: m, n: n, k: k, rank: r, scale: 4, dropout: 0.3)
        let x = d.tensor(m * k), w = d.tensor(n * k), a = d.tensor(r * k), b = Tensor<Double>(count: n * r)
        let y = Tensor<Double>(count: m * n), base = Tensor<Double>(count: m * n), u = Tensor<Double>(count: m * r)
        LoRALinear.forward(out: y.pointer, saved: u.pointer, input: x.const, weight: w.const, bias: nil,
                           a: a.const, b: b.const, shape: shape, seed: 1)
        Linear.forward(out: base.pointer, input: x.const, weight: w.const, bias: nil, m: m, n: n, k: k)
        #expect(y.array == base.array)
    }

    @Test("LoRA without dropout equals the merged weight W + s·B·A")
    func unmergedEqualsMerged() {
        var d = Draw(seed: 4)
        let r = 2, s = 4.0
        let shape = LoRAShape(m: m, n: n, k: k, rank: r, scale: s, dropout: 0)
        let x = d.tensor(m * k), w = d.tensor(n * k), a = d.tensor(r * k), b = d.tensor(n * r)
        let merged = Tensor<Double>(count: n * k)
        for i in 0..<n { for j in 0..<k {
            var ba = 0.0
            for p in 0..<r { ba += b[i * r + p] * a[p * k + j] }
            merged[i * k + j] = w[i * k + j] + s * ba
        } }
        let y = Tensor<Double>(count: m * n), ref = Tensor<Double>(count: m * n), u = Tensor<Double>(count: m * r)
        LoRALinear.forward(out: y.pointer, saved: u.pointer, input: x.const, weight: w.const, bias: nil,
                           a: a.const, b: b.const, shape: shape, seed: 1)
        Linear.forward(out: ref.pointer, input: x.const, weight: merged.const, bias: nil, m: m, n: n, k: k)
        for i in 0..<(m * n) { #expect(abs(y[i] - ref[i]) < 1e-12) }
    }
}
