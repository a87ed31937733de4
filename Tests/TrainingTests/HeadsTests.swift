// The IPL and the projector as composite ops: gradient checks with dropout on.
import GradCheck
import Testing
@testable import Training
import TrainingOps

@Suite("IPL and projector")
struct HeadsTests {
    @Test("IPL backward matches finite differences for h, W1, b1 and W2 with dropout on")
    func ipl() {
        var d = Draw(seed: 41)
        let s = IPLShape(rows: 3, dim: 5, hidden: 6, items: 7, dropout: 0.5)
        let h = d.tensor(s.rows * s.dim), w1 = d.tensor(s.hidden * s.dim), b1 = d.tensor(s.hidden)
        let w2 = d.tensor(s.items * s.hidden), dOut = d.tensor(s.rows * s.items)
        let weights = IPLWeights(w1: w1.const, b1: b1.const, w2: w2.const)
        let z = Tensor<Double>(count: s.rows * s.items), a = Tensor<Double>(count: s.rows * s.hidden)
        func loss() -> Double {
            TrainableIPL.forward(logits: z.pointer, saved: a.pointer, input: h.const, weights: weights, shape: s, seed: 3)
            return dot(z, dOut)
        }
        _ = loss()
        let dh = Tensor<Double>(count: h.count), dw1 = Tensor<Double>(count: w1.count)
        let db1 = Tensor<Double>(count: b1.count), dw2 = Tensor<Double>(count: w2.count)
        func backward() {
            TrainableIPL.backward(dInput: dh.pointer, gradients: IPLGradients(w1: dw1.pointer, b1: db1.pointer, w2: dw2.pointer),
                                         dLogits: dOut.const, input: h.const, saved: a.const, weights: weights, shape: s, seed: 3)
        }
        backward()
        expectGradientsMatch([Checked("h", h, dh), Checked("W1", w1, dw1), Checked("b1", b1, db1), Checked("W2", w2, dw2)],
                             loss: loss)
        let o = [dh.array, dw1.array, db1.array, dw2.array]
        backward()
        expectDoubled(o[0], dh, "dH"); expectDoubled(o[1], dw1, "dW1"); expectDoubled(o[2], db1, "db1"); expectDoubled(o[3], dw2, "dW2")
    }

    @Test("projector backward matches finite differences for x, W1, b1, W2 and b2")
    func projector() {
        var d = Draw(seed: 42)
        let s = ProjectorShape(rows: 4, input: 5, hidden: 6, output: 3)
        let x = d.tensor(s.rows * s.input), w1 = d.tensor(s.hidden * s.input), b1 = d.tensor(s.hidden)
        let w2 = d.tensor(s.output * s.hidden), b2 = d.tensor(s.output), dOut = d.tensor(s.rows * s.output)
        let weights = ProjectorWeights(w1: w1.const, b1: b1.const, w2: w2.const, b2: b2.const)
        let y = Tensor<Double>(count: s.rows * s.output), a = Tensor<Double>(count: s.rows * s.hidden)
        func loss() -> Double {
            TrainableProjector.forward(out: y.pointer, saved: a.pointer, input: x.const, weights: weights, shape: s)
            return dot(y, dOut)
        }
        _ = loss()
        let dx = Tensor<Double>(count: x.count), dw1 = Tensor<Double>(count: w1.count), db1 = Tensor<Double>(count: b1.count)
        let dw2 = Tensor<Double>(count: w2.count), db2 = Tensor<Double>(count: b2.count)
        TrainableProjector.backward(dInput: dx.pointer, gradients: ProjectorGradients(w1: dw1.pointer, b1: db1.pointer, w2: dw2.pointer, b2: db2.pointer),
                           dOut: dOut.const, input: x.const, saved: a.const, weights: weights, shape: s)
        expectGradientsMatch([Checked("x", x, dx), Checked("W1", w1, dw1), Checked("b1", b1, db1),
                              Checked("W2", w2, dw2), Checked("b2", b2, db2)], loss: loss)
    }
}
