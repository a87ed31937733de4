// The Float GEMM hooks (the Kernels module's tiled products) against the naive loops that serve
// Double as the gradient checks' oracle.
import Testing
import TrainingOps

@Suite("GEMM")
struct GEMMTests {
    @Test("Float products (Kernels MatMul) equal the naive reference for odd shapes")
    func floatGemm() {
        var rng = TrainingRNG(seed: 3)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 33, 130), (64, 40, 9), (5, 70, 128)] {
            let a = (0..<(m * k)).map { _ in Float(rng.normal()) }
            let b = (0..<(n * k)).map { _ in Float(rng.normal()) }
            let bt = (0..<(k * n)).map { _ in Float(rng.normal()) }
            let at = (0..<(k * m)).map { _ in Float(rng.normal()) }
            var y1 = [Float](repeating: 1, count: m * n), y2 = y1
            Float.gemmLinear(&y1, a, b, m: m, n: n, k: k, accumulate: true)
            NaiveGEMM.linear(&y2, a, b, m: m, n: n, k: k, accumulate: true)
            #expect(zip(y1, y2).allSatisfy { abs($0 - $1) < 1e-3 })
            Float.gemm(&y1, a, bt, m: m, n: n, k: k, accumulate: false)
            NaiveGEMM.matmul(&y2, a, bt, m: m, n: n, k: k, accumulate: false)
            #expect(zip(y1, y2).allSatisfy { abs($0 - $1) < 1e-3 })
            Float.gemmTransA(&y1, at, bt, m: m, n: n, k: k, accumulate: false)
            NaiveGEMM.matmulTransA(&y2, at, bt, m: m, n: n, k: k, accumulate: false)
            #expect(zip(y1, y2).allSatisfy { abs($0 - $1) < 1e-3 })
        }
    }
}
