// DecodedWeight: a quantized W decoded to f32 once. The f32-activation products that read it
// must give exactly the bits of the per-product decoding they replace, for every shape the
// tiled path takes (odd row counts over several tasks, accumulate, row blocks past 1,024
// activation rows) and below the tiled path's row threshold (1-3 rows: the dot path).
import Kernels
import Testing
@testable import Quant

@Suite("DecodedWeight")
struct DecodedWeightTests {
    let pool = ThreadPool(threadCount: 2)

    @Test("products with a weight decoded ahead of time give the same bits",
          arguments: [GGMLType.q4_1, .q4_0, .q5_0, .q8_0, .f16, .q4_K, .q6_K])
    func sameBits(type: GGMLType) throws {
        let superBlock = [.q4_K, .q6_K].contains(type)
        let k = superBlock ? 512 : 160
        for (m, n) in [(1, 13), (2, 40), (3, 13), (4, 13), (21, 97), (133, 50), (1100, 7)] {
            let (bytes, _) = try randomWeight(type, rows: n, cols: k, seed: UInt64(m + n))
            var rng = TestRNG(state: UInt64(m))
            let x = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let base = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &rng) }
            for accumulate in [false, true] {
                var a = base, b = base
                try bytes.withUnsafeBytes { raw in
                    let weight = try WeightMatrix(type: type, rows: n, cols: k, bytes: raw)
                    let decoded = try #require(DecodedWeight(weight))
                    #expect(decoded.byteCount == n * k * 4)
                    QuantizedMatMul.linear(&a, x, weight: weight, m: m, accumulate: accumulate, pool: pool)
                    QuantizedMatMul.linear(&b, x, weight: weight, m: m, accumulate: accumulate, pool: pool, decoded: decoded)
                }
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(type) m=\(m) n=\(n) accumulate=\(accumulate)")
            }
        }
    }

    @Test("the decoded values are the dequantized weights; f32 matrices are not copied")
    func values() throws {
        let (bytes, w) = try randomWeight(.q4_1, rows: 5, cols: 64, seed: 2)
        try bytes.withUnsafeBytes { raw in
            let weight = try WeightMatrix(type: .q4_1, rows: 5, cols: 64, bytes: raw)
            let decoded = try #require(DecodedWeight(weight))
            let copy = Array(UnsafeBufferPointer(start: decoded.values, count: 5 * 64))
            #expect(copy.map(\.bitPattern) == w.map(\.bitPattern))
            #expect(DecodedWeight.bytes(for: weight) == 5 * 64 * 4)
        }
        let floats = [Float](repeating: 0.5, count: 4 * 32)
        try floats.withUnsafeBytes { raw in
            let weight = try WeightMatrix(type: .f32, rows: 4, cols: 32, bytes: raw)
            #expect(DecodedWeight(weight) == nil)
            #expect(DecodedWeight.bytes(for: weight) == 0)
        }
    }
}
