// The blocked attention (two GEMMs + masked softmax) against the one-query reference
// loop, on random data, for blocks that start at and after position 0.
import Testing
@testable import Llama

@Suite("Attention kernels")
struct AttentionTests {
    @Test("attendBlock equals the per-query reference for every row", arguments: [(0, 7), (5, 13), (40, 1), (3, 32)])
    func blockMatchesReference(firstPosition: Int, rows: Int) {
        let d = 64, n = firstPosition + rows, stride = 3 * d
        var rng = SplitMix64(seed: UInt64(firstPosition * 100 + rows))
        func random(_ count: Int) -> [Float] { (0 ..< count).map { _ in rng.nextFloat() * 2 - 1 } }
        let keys = random(n * d), values = random(n * d), q = random(rows * stride)
        var blocked = [Float](repeating: 0, count: rows * stride)
        var scratch = [Float](repeating: 0, count: Attention.blockScratchCount(rows: rows, keys: n, headDim: d))
        Attention.attendBlock(out: &blocked, outStride: stride, q: q, qStride: stride, rows: rows, firstPosition: firstPosition,
                              keys: keys, values: values, headDim: d, scale: 0.125, scratch: &scratch)
        var scores = [Float](repeating: 0, count: n)
        for i in 0 ..< rows {
            var expected = [Float](repeating: 0, count: d)
            q.withUnsafeBufferPointer { qb in
                Attention.attend(out: &expected, q: qb.baseAddress! + i * stride, keys: keys, values: values,
                                 n: firstPosition + i + 1, headDim: d, scale: 0.125, scores: &scores)
            }
            #expect(maxAbsDiff(blocked[i * stride ..< i * stride + d], expected) < 1e-5, "row \(i)")
        }
    }
}
