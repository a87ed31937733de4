// QuantizedMatMul against dequantize-then-naive: weights of every supported type are
// built as random but valid ggml block bytes, dequantized by a scalar reference
// written here from ggml's block layouts (GGMLType.swift header), and the product is
// checked against a Double-accumulating naive product. Also: row counts on both sides
// of the dot/tiled switch, the decoder's shapes, accumulate, thread counts.
import Testing
@testable import Quant
import Kernels

struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random weight bytes of `type` for rows × cols, and their reference dequantization.
func randomWeight(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) -> (bytes: [UInt8], values: [Float]) {
    var rng = TestRNG(state: seed)
    var bytes: [UInt8] = []
    var values: [Float] = []
    func half(_ v: Float) -> (bytes: [UInt8], value: Float) {
        let h = Float16(v)
        return ([UInt8(h.bitPattern & 0xFF), UInt8(h.bitPattern >> 8)], Float(h))
    }
    for _ in 0..<rows {
        switch type {
        case .f32:
            for _ in 0..<cols {
                let v = Float.random(in: -1...1, using: &rng)
                withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
                values.append(v)
            }
        case .f16:
            for _ in 0..<cols { let (b, v) = half(Float.random(in: -1...1, using: &rng)); bytes += b; values.append(v) }
        case .bf16:
            for _ in 0..<cols {
                let bits = UInt16(truncatingIfNeeded: Float.random(in: -1...1, using: &rng).bitPattern >> 16)
                bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
                values.append(Float(bitPattern: UInt32(bits) << 16))
            }
        case .q8_0:
            for _ in 0..<(cols / 32) {
                let (db, d) = half(Float.random(in: 0.001...0.02, using: &rng))
                bytes += db
                for _ in 0..<32 {
                    let q = Int8.random(in: -127...127, using: &rng)
                    bytes.append(UInt8(bitPattern: q))
                    values.append(Float(q) * d)
                }
            }
        case .q4_0, .q4_1:
            for _ in 0..<(cols / 32) {
                let (db, d) = half(Float.random(in: 0.001...0.1, using: &rng))
                bytes += db
                var m: Float = 0
                if type == .q4_1 {
                    let (mb, mv) = half(Float.random(in: -0.5...0, using: &rng))
                    bytes += mb
                    m = mv
                }
                let q = (0..<32).map { _ in UInt8.random(in: 0...15, using: &rng) }
                // Byte j: low nibble = value j, high nibble = value j + 16.
                for j in 0..<16 { bytes.append(q[j] | (q[j + 16] << 4)) }
                for j in 0..<32 {
                    values.append(type == .q4_0 ? (Float(Int(q[j]) - 8) * d) : (Float(q[j]) * d + m))
                }
            }
        }
    }
    return (bytes, values)
}

let allTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

/// Checks QuantizedMatMul.linear for one shape; returns y for cross-run comparisons.
@discardableResult
func checkQuantized(_ type: GGMLType, m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool?,
                    seed: UInt64 = 3, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Float] {
    let (bytes, w) = randomWeight(type, rows: n, cols: k, seed: seed)
    var rng = TestRNG(state: seed &+ 99)
    let x = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
    let base = (0..<(m * n)).map { _ in accumulate ? Float.random(in: -1...1, using: &rng) : Float.nan }
    var y = base
    try bytes.withUnsafeBytes { raw in
        let weight = try WeightMatrix(type: type, rows: n, cols: k, bytes: raw)
        QuantizedMatMul.linear(&y, x, weight: weight, m: m, accumulate: accumulate, pool: pool)
    }
    var firstBad: String? = nil
    for i in 0..<m where firstBad == nil {
        for j in 0..<n {
            var s = accumulate ? Double(base[i * n + j]) : 0
            var mag = abs(s)
            for p in 0..<k {
                let t = Double(x[i * k + p]) * Double(w[j * k + p])
                s += t
                mag += abs(t)
            }
            if !(abs(Double(y[i * n + j]) - s) <= 2e-6 * mag + 1e-6) {
                firstBad = "y[\(i), \(j)] = \(y[i * n + j]), want \(s)"
                break
            }
        }
    }
    #expect(firstBad == nil, "\(type) m=\(m) n=\(n) k=\(k) acc=\(accumulate): \(firstBad ?? "")", sourceLocation: sourceLocation)
    return y
}

@Suite("QuantizedMatMul")
struct QuantizedMatMulTests {
    let pool = ThreadPool(threadCount: 2)

    @Test("every type matches dequantize-then-naive across row counts", arguments: allTypes)
    func rowSweep(type: GGMLType) throws {
        for m in [1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 33] {
            try checkQuantized(type, m: m, n: 29, k: 96, pool: pool, seed: UInt64(m))
        }
    }

    @Test("every type matches for odd output counts and several block counts", arguments: allTypes)
    func shapeSweep(type: GGMLType) throws {
        for n in [1, 5, 6, 7, 13, 48, 49, 67] {
            for k in [32, 64, 160] {
                try checkQuantized(type, m: 2, n: n, k: k, pool: pool, seed: UInt64(n * k))
                try checkQuantized(type, m: 9, n: n, k: k, pool: pool, seed: UInt64(n * k + 1))
            }
        }
    }

    @Test("unblocked types accept rows of any length", arguments: [GGMLType.f32, .f16, .bf16])
    func oddDepth(type: GGMLType) throws {
        for k in [1, 7, 9, 33, 67] {
            try checkQuantized(type, m: 1, n: 11, k: k, pool: pool)
            try checkQuantized(type, m: 8, n: 11, k: k, pool: pool)
        }
    }

    @Test("the decoder's shapes match at small row counts", arguments: [GGMLType.q4_1, .q8_0])
    func decoderShapes(type: GGMLType) throws {
        for (k, n) in [(576, 576), (576, 192), (576, 1536), (1536, 576)] {
            try checkQuantized(type, m: 1, n: n, k: k, pool: pool)
            try checkQuantized(type, m: 5, n: n, k: k, pool: pool)
        }
    }

    @Test("accumulate adds to y", arguments: allTypes)
    func accumulate(type: GGMLType) throws {
        try checkQuantized(type, m: 1, n: 13, k: 64, accumulate: true, pool: pool)
        try checkQuantized(type, m: 2, n: 13, k: 64, accumulate: true, pool: pool)
        try checkQuantized(type, m: 21, n: 13, k: 64, accumulate: true, pool: pool)
    }

    @Test("results are bitwise identical across thread counts", arguments: allTypes)
    func threadCounts(type: GGMLType) throws {
        let pools: [ThreadPool?] = [nil, ThreadPool(threadCount: 1), pool, ThreadPool(threadCount: 3)]
        for m in [1, 3, 20] {
            let outs = try pools.map { try checkQuantized(type, m: m, n: 150, k: 128, pool: $0) }
            for o in outs.dropFirst() { #expect(o.map(\.bitPattern) == outs[0].map(\.bitPattern), "\(type) m=\(m)") }
        }
    }

    @Test("the SIMD dequantizer matches the reference decoding", arguments: allTypes)
    func dequantize(type: GGMLType) throws {
        let (bytes, want) = randomWeight(type, rows: 3, cols: 64, seed: 17)
        var got = [Float](repeating: .nan, count: 3 * 64)
        try bytes.withUnsafeBytes { raw in
            QuantizedMatMul.dequantize(try WeightMatrix(type: type, rows: 3, cols: 64, bytes: raw), into: &got)
        }
        #expect(got.map(\.bitPattern) == want.map(\.bitPattern))
    }

    @Test("WeightMatrix rejects byte counts and row lengths that do not fit the type")
    func validation() {
        let bytes = [UInt8](repeating: 0, count: 40)
        bytes.withUnsafeBytes { raw in
            #expect(throws: WeightMatrixError.self) { try WeightMatrix(type: .q4_1, rows: 2, cols: 33, bytes: raw) }
            #expect(throws: WeightMatrixError.self) { try WeightMatrix(type: .q4_1, rows: 3, cols: 32, bytes: raw) }
            #expect(throws: WeightMatrixError.self) { try WeightMatrix(type: .f32, rows: -1, cols: 10, bytes: raw) }
            #expect(throws: WeightMatrixError.self) { try WeightMatrix(type: .f32, rows: Int.max / 2, cols: 8, bytes: raw) }
            #expect((try? WeightMatrix(type: .q4_1, rows: 2, cols: 32, bytes: raw)) != nil)
            #expect((try? WeightMatrix(type: .f16, rows: 4, cols: 5, bytes: raw)) != nil)
        }
    }
}
