// Gradient checks and invariants for Linear and LoRALinear.
import Testing
@testable import Training

@Suite("Linear and LoRA")
struct LinearLoRATests {
    let m = 5, n = 4, k = 6

    @Test("Linear backward matches finite differences for x, W and b, and accumulates")
    func linearGradients() {
        var d = Draw(seed: 1)
        let x = d.tensor(m * k), w = d.tensor(n * k), b = d.tensor(n), dOut = d.tensor(m * n)
        let y = Tensor<Double>(count: m * n)
        func loss() -> Double {
            Linear.forward(out: y.pointer, input: x.const, weight: w.const, bias: b.const, m: m, n: n, k: k)
            return dot(y, dOut)
        }
        let dx = Tensor<Double>(count: m * k), dw = Tensor<Double>(count: n * k), db = Tensor<Double>(count: n)
        _ = loss()
        Linear.backward(dInput: dx.pointer, dWeight: dw.pointer, dBias: db.pointer, dOut: dOut.const,
                        input: x.const, weight: w.const, m: m, n: n, k: k)
        expectGradientsMatch([Checked("x", x, dx), Checked("W", w, dw), Checked("b", b, db)], loss: loss)
        let once = [dx.array, dw.array, db.array]
        Linear.backward(dInput: dx.pointer, dWeight: dw.pointer, dBias: db.pointer, dOut: dOut.const,
                        input: x.const, weight: w.const, m: m, n: n, k: k)
        expectDoubled(once[0], dx, "dX"); expectDoubled(once[1], dw, "dW"); expectDoubled(once[2], db, "db")
    }

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

    @Test("dropout keeps about 1-p of the elements, scales them by 1/(1-p), and is seed-reproducible")
    func dropoutStatistics() {
        let n = 20_000, p = 0.3
        let x = Tensor<Double>([Double](repeating: 1, count: n)), y = Tensor<Double>(count: n)
        Dropout.forward(out: y.pointer, input: x.const, count: n, p: p, seed: 9)
        let kept = y.array.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / Double(n) - (1 - p)) < 0.02)
        #expect(kept.allSatisfy { abs($0 - 1 / (1 - p)) < 1e-12 })
        let y2 = Tensor<Double>(count: n)
        Dropout.forward(out: y2.pointer, input: x.const, count: n, p: p, seed: 9)
        #expect(y.array == y2.array)
        Dropout.forward(out: y2.pointer, input: x.const, count: n, p: p, seed: 10)
        #expect(y.array != y2.array)
    }
}
