// The training heads in evaluation mode must compute what the serving heads (HDRecInference) compute,
// or a trained bundle would rank differently from the model that was validated.
import GradCheck
import HDRecInference
import Testing
@testable import Training
import TrainingOps

@Suite("Training heads agree with serving heads")
struct HeadsAgreementTests {
    @Test("TrainableIPL without dropout equals HDRecInference.ItemProjectionLayer; TrainableProjector equals Projector")
    func agreement() throws {
        var d = Draw(seed: 71)
        let n = 3, c = 6, hidden = 5, items = 7, p = 4
        func floats(_ t: Tensor<Double>) -> [Float] { t.array.map(Float.init) }
        let h = d.tensor(n * c), w1 = d.tensor(hidden * c), b1 = d.tensor(hidden), w2 = d.tensor(items * hidden)
        let serving = try ItemProjectionLayer(w0: floats(w1), b0: floats(b1), w2: floats(w2), inputWidth: c, hidden: hidden, itemCount: items)
        let expected = serving(floats(h), rows: n)
        let tw1 = Tensor<Float>(floats(w1)), tb1 = Tensor<Float>(floats(b1)), tw2 = Tensor<Float>(floats(w2)), th = Tensor<Float>(floats(h))
        let z = Tensor<Float>(count: n * items), a = Tensor<Float>(count: n * hidden)
        TrainableIPL.forward(logits: z.pointer, saved: a.pointer, input: th.const,
                             weights: IPLWeights(w1: tw1.const, b1: tb1.const, w2: tw2.const),
                             shape: IPLShape(rows: n, dim: c, hidden: hidden, items: items, dropout: 0), seed: 1)
        for i in 0..<(n * items) { #expect(abs(z[i] - expected[i]) < 1e-5) }

        let x = d.tensor(n * p), pw1 = d.tensor(hidden * p), pb1 = d.tensor(hidden), pw2 = d.tensor(c * hidden), pb2 = d.tensor(c)
        let proj = try Projector(w0: floats(pw1), b0: floats(pb1), w2: floats(pw2), b2: floats(pb2), inputWidth: p, hidden: hidden, outputWidth: c)
        let want = proj(floats(x), rows: n)
        let (tx, tpw1, tpb1, tpw2, tpb2) = (Tensor<Float>(floats(x)), Tensor<Float>(floats(pw1)), Tensor<Float>(floats(pb1)),
                                            Tensor<Float>(floats(pw2)), Tensor<Float>(floats(pb2)))
        let e = Tensor<Float>(count: n * c), pa = Tensor<Float>(count: n * hidden)
        TrainableProjector.forward(out: e.pointer, saved: pa.pointer, input: tx.const,
                                   weights: ProjectorWeights(w1: tpw1.const, b1: tpb1.const, w2: tpw2.const, b2: tpb2.const),
                                   shape: ProjectorShape(rows: n, input: p, hidden: hidden, output: c))
        for i in 0..<(n * c) { #expect(abs(e[i] - want[i]) < 1e-5) }
    }
}
