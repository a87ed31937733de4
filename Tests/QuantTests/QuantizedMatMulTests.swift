// QuantizedMatMul against dequantize-then-naive: weights of every supported type are
// quantized from random floats and dequantized by the Quant module's scalar reference
// (`Quantization`, itself checked against gguf-py goldens in its own tests), and the
// product is checked against a Double-accumulating naive product. Also: row counts on both sides
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

/// Weight bytes of `type` for rows × cols, quantized from random floats by the Quant
/// reference (`Quantization.quantize`), and their reference dequantization.
/// Types HDRec only decodes (Q5, K-quants) get random blocks: random bytes with sane
/// fp16 scales written over their scale fields.
func randomWeight(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) throws -> (bytes: [UInt8], values: [Float]) {
    var rng = TestRNG(state: seed)
    let bytes: [UInt8]
    if type.isQuantizable {
        let floats = (0..<(rows * cols)).map { _ in Float.random(in: -1...1, using: &rng) }
        bytes = try Quantization.quantize(floats, as: type)
    } else {
        var b = (0..<(try Quantization.byteCount(of: type, count: rows * cols))).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for block in 0..<(b.count / type.typeSize) {
            for f in type.halfFieldOffsets {
                let h = Float16(Float.random(in: 0.002...0.05, using: &rng)).bitPattern
                b[block * type.typeSize + f] = UInt8(h & 0xFF)
                b[block * type.typeSize + f + 1] = UInt8(h >> 8)
            }
        }
        bytes = b
    }
    let values = try bytes.withUnsafeBytes { try Quantization.dequantize($0, as: type, count: rows * cols) }
    return (bytes, values)
}

let allTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1]
/// Types whose blocks are 256-value super-blocks: swept with k a multiple of 256.
let superBlockTypes: [GGMLType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

/// Checks QuantizedMatMul.linear for one shape; returns y for cross-run comparisons.
@discardableResult
func checkQuantized(_ type: GGMLType, m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool?,
                    seed: UInt64 = 3, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Float] {
    let (bytes, w) = try randomWeight(type, rows: n, cols: k, seed: seed)
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
        let (bytes, want) = try randomWeight(type, rows: 3, cols: 64, seed: 17)
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
            #expect(throws: QuantError.countNotBlockMultiple(type: .q4_1, count: 33)) {
                try WeightMatrix(type: .q4_1, rows: 2, cols: 33, bytes: raw)
            }
            #expect(throws: QuantError.byteCountMismatch(type: .q4_1, count: 96, needed: 60, available: 40)) {
                try WeightMatrix(type: .q4_1, rows: 3, cols: 32, bytes: raw)
            }
            #expect(throws: QuantError.countNotBlockMultiple(type: .f32, count: -1)) {
                try WeightMatrix(type: .f32, rows: -1, cols: 10, bytes: raw)
            }
            #expect(throws: QuantError.byteCountMismatch(type: .f32, count: Int.max, needed: Int.max, available: 40)) {
                try WeightMatrix(type: .f32, rows: Int.max / 2, cols: 8, bytes: raw)
            }
            #expect((try? WeightMatrix(type: .q4_1, rows: 2, cols: 32, bytes: raw)) != nil)
            #expect((try? WeightMatrix(type: .f16, rows: 4, cols: 5, bytes: raw)) != nil)
        }
    }
}

/// Checks QuantizedMatMul.linearTransposed (dx[m, k] = dy[m, n] · W[n, k]) for one shape.
@discardableResult
func checkTransposed(_ type: GGMLType, m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool?,
                     seed: UInt64 = 5, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Float] {
    let (bytes, w) = try randomWeight(type, rows: n, cols: k, seed: seed)
    var rng = TestRNG(state: seed &+ 41)
    let dy = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &rng) }
    let base = (0..<(m * k)).map { _ in accumulate ? Float.random(in: -1...1, using: &rng) : Float.nan }
    var dx = base
    try bytes.withUnsafeBytes { raw in
        let weight = try WeightMatrix(type: type, rows: n, cols: k, bytes: raw)
        QuantizedMatMul.linearTransposed(&dx, dy, weight: weight, m: m, accumulate: accumulate, pool: pool)
    }
    var firstBad: String? = nil
    outer: for i in 0..<m {
        for j in 0..<k {
            var s = accumulate ? Double(base[i * k + j]) : 0
            var mag = abs(s)
            for p in 0..<n {
                let t = Double(dy[i * n + p]) * Double(w[p * k + j])
                s += t
                mag += abs(t)
            }
            if !(abs(Double(dx[i * k + j]) - s) <= 2e-6 * mag + 1e-6) {
                firstBad = "dx[\(i), \(j)] = \(dx[i * k + j]), want \(s)"
                break outer
            }
        }
    }
    #expect(firstBad == nil, "\(type) m=\(m) n=\(n) k=\(k) acc=\(accumulate): \(firstBad ?? "")", sourceLocation: sourceLocation)
    return dx
}

@Suite("QuantizedMatMul.linearTransposed")
struct QuantizedLinearTransposedTests {
    let pool = ThreadPool(threadCount: 2)

    @Test("dx = dy · W matches dequantize-then-naive for every type", arguments: allTypes)
    func shapes(type: GGMLType) throws {
        for (m, n, k) in [(1, 7, 32), (5, 13, 64), (6, 1, 96), (17, 29, 160), (40, 50, 32)] {
            try checkTransposed(type, m: m, n: n, k: k, pool: pool, seed: UInt64(m * n + k))
        }
    }

    @Test("unblocked types accept any row length in dx = dy · W", arguments: [GGMLType.f32, .f16, .bf16])
    func oddColumns(type: GGMLType) throws {
        for k in [1, 15, 17, 33, 48, 67] { try checkTransposed(type, m: 7, n: 9, k: k, pool: pool) }
    }

    @Test("accumulate adds to dx, and thread counts agree bitwise", arguments: allTypes)
    func accumulateAndThreads(type: GGMLType) throws {
        try checkTransposed(type, m: 9, n: 11, k: 64, accumulate: true, pool: pool)
        let outs = try [nil, ThreadPool(threadCount: 1), pool, ThreadPool(threadCount: 3)].map {
            try checkTransposed(type, m: 20, n: 33, k: 224, pool: $0)
        }
        for o in outs.dropFirst() { #expect(o.map(\.bitPattern) == outs[0].map(\.bitPattern)) }
    }
}
