// Large-m products run in activation-row blocks (Kernels' RowBlocks): the result must
// still match the naive oracle, be bitwise the same for every thread count, and be
// bitwise the same as computing each block's rows as a separate, unblocked product
// (each output element is one micro-kernel accumulation over the whole k either way).
import Testing
@testable import Quant
import Kernels

@Suite("Row-blocked linear products")
struct RowBlockTests {
    @Test("blocks are whole slivers, cover m once, and small m stays one block")
    func blockLayout() {
        #expect(RowBlocks(m: LinearKernel.rowBlockMinRows).count == 1)
        for m in [1025, 1100, 2048, 3000] {
            let b = RowBlocks(m: m)
            #expect(b.count > 1)
            #expect(b.rowsPerBlock % 16 == 0)
            #expect(b.range(0).lowerBound == 0 && b.range(b.count - 1).upperBound == m)
            for i in 1..<b.count { #expect(b.range(i).lowerBound == b.range(i - 1).upperBound) }
        }
    }

    @Test("m = 1100 (three blocks, ragged tail) equals the oracle and is bitwise thread-count invariant",
          arguments: [GGMLType.q4_1, .f32])
    func largeM(type: GGMLType) throws {
        let m = 1100, n = 30, k = 64
        let blocks = RowBlocks(m: m)
        #expect(blocks.count == 3 && m % 16 != 0)
        let one = try checkQuantized(type, m: m, n: n, k: k, pool: nil)
        for threads in [2, 3] {
            let pool = ThreadPool(threadCount: threads)
            let y = try checkQuantized(type, m: m, n: n, k: k, pool: pool)
            #expect(y.map(\.bitPattern) == one.map(\.bitPattern), "threads \(threads)")
        }
        // Each block's rows computed as their own (unblocked) product give the same bits.
        let (bytes, _) = try randomWeight(type, rows: n, cols: k, seed: 3)
        var rng = TestRNG(state: 3 &+ 99)
        let x = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        for b in 0..<blocks.count {
            let r = blocks.range(b)
            var y = [Float](repeating: .nan, count: r.count * n)
            try bytes.withUnsafeBytes { raw in
                let weight = try WeightMatrix(type: type, rows: n, cols: k, bytes: raw)
                x.withUnsafeBufferPointer { xs in
                    QuantizedMatMul.linear(&y, xs.baseAddress! + r.lowerBound * k, weight: weight, m: r.count, pool: nil)
                }
            }
            #expect(y.map(\.bitPattern) == one[(r.lowerBound * n)..<(r.upperBound * n)].map(\.bitPattern), "block \(b)")
        }
    }
}
