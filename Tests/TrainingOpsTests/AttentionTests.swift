// Causal grouped-query attention: forward against a direct masked-softmax evaluation, gradient
// checks for q, k, v over a left-padded batch, and padding isolation.
import Foundation
import Testing
import GradCheck
@testable import TrainingOps

@Suite("Causal grouped-query attention")
struct AttentionTests {
    let shape = AttentionShape(heads: 4, kvHeads: 2, headDim: 3)
    let batch = try! SequenceBatch.leftPadded(lengths: [5, 3], paddedLength: 5)

    func inputs(seed: UInt64) -> (Tensor<Double>, Tensor<Double>, Tensor<Double>) {
        var d = Draw(seed: seed)
        let m = batch.tokenCount
        return (d.tensor(m * shape.heads * shape.headDim, scale: 2), d.tensor(m * shape.kvHeads * shape.headDim, scale: 2),
                d.tensor(m * shape.kvHeads * shape.headDim))
    }

    @Test("forward equals softmax(q·kᵀ/√D) over same-sequence keys at or before the query, zero on padding")
    func forwardMatchesDefinition() {
        let (q, k, v) = inputs(seed: 21)
        let m = batch.tokenCount, H = shape.heads, D = shape.headDim, Hkv = shape.kvHeads
        let out = Tensor<Double>(count: m * H * D), lse = Tensor<Double>(count: m * H)
        CausalAttention.forward(out: out.pointer, lse: lse.pointer, q: q.const, k: k.const, v: v.const,
                                batch: batch, shape: shape)
        for row in 0..<m {
            let b = row / batch.paddedLength, t = row % batch.paddedLength
            for h in 0..<H {
                let g = h / (H / Hkv)
                var expected = [Double](repeating: 0, count: D)
                if batch.isValid(row: row) {
                    let keys = (batch.starts[b]...t).map { b * batch.paddedLength + $0 }
                    let scores = keys.map { j in
                        (0..<D).map { q[(row * H + h) * D + $0] * k[(j * Hkv + g) * D + $0] }.reduce(0, +) / Double(D).squareRoot()
                    }
                    let mx = scores.max()!
                    let e = scores.map { Foundation.exp($0 - mx) }
                    let z = e.reduce(0, +)
                    for (n, j) in keys.enumerated() { for d in 0..<D { expected[d] += e[n] / z * v[(j * Hkv + g) * D + d] } }
                }
                for d in 0..<D { #expect(abs(out[(row * H + h) * D + d] - expected[d]) < 1e-13, "row \(row) head \(h)") }
            }
        }
    }

    @Test("backward matches finite differences for q, k and v, and accumulates")
    func gradients() {
        let (q, k, v) = inputs(seed: 22)
        let m = batch.tokenCount, qn = m * shape.heads * shape.headDim, kn = m * shape.kvHeads * shape.headDim
        var d = Draw(seed: 23)
        let dOut = d.tensor(qn)
        let out = Tensor<Double>(count: qn), lse = Tensor<Double>(count: m * shape.heads)
        func loss() -> Double {
            CausalAttention.forward(out: out.pointer, lse: lse.pointer, q: q.const, k: k.const, v: v.const,
                                    batch: batch, shape: shape)
            return dot(out, dOut)
        }
        _ = loss()
        let dq = Tensor<Double>(count: qn), dk = Tensor<Double>(count: kn), dv = Tensor<Double>(count: kn)
        func backward() {
            CausalAttention.backward(dQ: dq.pointer, dK: dk.pointer, dV: dv.pointer, dOut: dOut.const, q: q.const,
                                     k: k.const, v: v.const, out: out.const, lse: lse.const, batch: batch, shape: shape)
        }
        backward()
        expectGradientsMatch([Checked("q", q, dq), Checked("k", k, dk), Checked("v", v, dv)], maxSamples: 200, loss: loss)
        let o = [dq.array, dk.array, dv.array]
        backward()
        expectDoubled(o[0], dq, "dQ"); expectDoubled(o[1], dk, "dK"); expectDoubled(o[2], dv, "dV")
        // padding rows (sequence 1, rows 0 and 1) receive no gradient
        for row in [5, 6] {
            for i in 0..<(shape.kvHeads * shape.headDim) { #expect(dk[row * shape.kvHeads * shape.headDim + i] == 0) }
            for i in 0..<(shape.heads * shape.headDim) { #expect(dq[row * shape.heads * shape.headDim + i] == 0) }
        }
    }

    @Test("a sequence's output does not depend on another sequence or on later tokens")
    func isolation() {
        let (q, k, v) = inputs(seed: 24)
        let m = batch.tokenCount, qn = m * shape.heads * shape.headDim
        let out1 = Tensor<Double>(count: qn), out2 = Tensor<Double>(count: qn), lse = Tensor<Double>(count: m * shape.heads)
        CausalAttention.forward(out: out1.pointer, lse: lse.pointer, q: q.const, k: k.const, v: v.const,
                                batch: batch, shape: shape)
        // change sequence 1 entirely and the last token of sequence 0
        let kvw = shape.kvHeads * shape.headDim
        for i in (5 * kvw)..<(10 * kvw) { k[i] += 1; v[i] -= 1 }
        for i in (4 * kvw)..<(5 * kvw) { k[i] *= 3; v[i] += 2 }
        CausalAttention.forward(out: out2.pointer, lse: lse.pointer, q: q.const, k: k.const, v: v.const,
                                batch: batch, shape: shape)
        let qw = shape.heads * shape.headDim
        for i in 0..<(4 * qw) { #expect(out1[i] == out2[i]) }
    }

    @Test("SequenceBatch rejects a range that does not fit and numbers positions from each start")
    func sequenceBatch() throws {
        #expect(throws: TrainingOpsError.badSequenceRange(sequence: 1, start: 2, length: 4, padded: 5)) {
            try SequenceBatch(paddedLength: 5, starts: [0, 2], lengths: [5, 4])
        }
        #expect(batch.positions() == [0, 1, 2, 3, 4, 0, 0, 0, 1, 2])
    }
}
