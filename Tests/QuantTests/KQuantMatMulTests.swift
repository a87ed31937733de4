// QuantizedMatMul on K-quant weights (256-value super-blocks) against dequantize-then-naive:
// random super-blocks (random codes, sane fp16 scales) dequantized by the reference decoder,
// itself checked bit for bit against gguf.quants in KQuantGoldenTests. Covers both sides of
// the dot/tiled switch, several super-blocks per row, dx = dy · W, accumulate and threads.
import Testing
@testable import Quant
import Kernels

@Suite("QuantizedMatMul on K-quants")
struct KQuantMatMulTests {
    let pool = ThreadPool(threadCount: 2)

    @Test("y = x · Wᵀ matches dequantize-then-naive across row counts and shapes", arguments: superBlockTypes)
    func linear(type: GGMLType) throws {
        for m in [1, 2, 3, 5, 16, 17, 33] {
            try checkQuantized(type, m: m, n: 29, k: 512, pool: pool, seed: UInt64(m))
        }
        for (n, k) in [(1, 256), (7, 768), (48, 256), (49, 256)] {
            try checkQuantized(type, m: 2, n: n, k: k, pool: pool, seed: UInt64(n * k))
            try checkQuantized(type, m: 20, n: n, k: k, pool: pool, seed: UInt64(n * k + 1))
        }
        try checkQuantized(type, m: 3, n: 13, k: 256, accumulate: true, pool: pool)
        try checkQuantized(type, m: 21, n: 13, k: 256, accumulate: true, pool: pool)
    }

    @Test("dx = dy · W matches dequantize-then-naive", arguments: superBlockTypes)
    func transposed(type: GGMLType) throws {
        for (m, n, k) in [(1, 7, 256), (6, 13, 512), (17, 29, 256)] {
            try checkTransposed(type, m: m, n: n, k: k, pool: pool, seed: UInt64(m * n + k))
        }
        try checkTransposed(type, m: 9, n: 11, k: 256, accumulate: true, pool: pool)
    }

    @Test("results are bitwise identical across thread counts", arguments: superBlockTypes)
    func threadCounts(type: GGMLType) throws {
        let pools: [ThreadPool?] = [nil, ThreadPool(threadCount: 1), pool, ThreadPool(threadCount: 3)]
        for m in [1, 20] {
            let outs = try pools.map { try checkQuantized(type, m: m, n: 70, k: 256, pool: $0) }
            for o in outs.dropFirst() { #expect(o.map(\.bitPattern) == outs[0].map(\.bitPattern), "\(type) m=\(m)") }
        }
    }
}
