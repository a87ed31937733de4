// Gradient checks and invariants for Linear and Dropout.
import GradCheck
import Testing
@testable import TrainingOps

@Suite("Linear and dropout")
struct LinearDropoutTests {
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
