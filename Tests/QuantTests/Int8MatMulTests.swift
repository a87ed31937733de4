// The integer prefill path (Int8MatMul, Sources/CQuantKernels) for every type it covers:
// - each kernel against the scalar reference over the same quantized operands (only the
//   order of f32 additions differs: within 1e-5 of Σ|w·x|), random and at the extremes of
//   codes and activations (the AVX2 offset kernel keeps sums in i16: a wrong bound wraps);
// - the whole product against dequantize-then-naive with unquantized x, within the bound
//   the activation rounding allows: |x − x̂| ≤ max|x_block| / 254 per value, so
//   |y − ŷ| ≤ Σ_b (max|x_b| / 254) · Σ_{i∈b} |w_i|  (+ 1e-5 of Σ|w·x| for f32 sums);
// - token counts not a multiple of the 4-token tile, odd row counts, several tasks,
//   accumulate, bitwise equality across thread counts, and the fallbacks to f32;
// - every kernel variant this CPU runs (AVX2; AVX-VNNI and AVX-512 VNNI where present);
//   serialized, since the variant is a process-wide switch.
import CQuantKernels
import Kernels
import Testing
@testable import Quant

/// Types with an integer kernel; K-quants need k a multiple of 256.
let int8FlatTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0]
let int8SuperBlockTypes: [GGMLType] = [.q4_K, .q5_K, .q6_K]

/// The kernel variants this CPU runs (AVX2 always; AVX-VNNI, AVX-512 VNNI where present).
let kernelVariants: [Int8Kernel] = Int8MatMul.isAvailable ? Int8MatMul.availableKernels : []

@Suite("Int8MatMul", .serialized, .enabled(if: Int8MatMul.isAvailable, "the CPU lacks AVX2/FMA/F16C"))
struct Int8MatMulTests {
    let pool = ThreadPool(threadCount: 2)

    /// x[m, k] with a few large values, as decoder activations have.
    func activations(m: Int, k: Int, seed: UInt64) -> [Float] {
        var rng = TestRNG(state: seed)
        return (0..<(m * k)).map { i in
            let v = Float.random(in: -1...1, using: &rng)
            return i % 97 == 0 ? 8 * v : v
        }
    }

    /// Runs the integer product and checks it against the quantization bound; returns y.
    @discardableResult
    func checkBound(_ type: GGMLType, m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool?,
                    seed: UInt64 = 5, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Float] {
        let (bytes, w) = try randomWeight(type, rows: n, cols: k, seed: seed)
        let x = activations(m: m, k: k, seed: seed &+ 1)
        var rng = TestRNG(state: seed &+ 2)
        let base = (0..<(m * n)).map { _ in accumulate ? Float.random(in: -1...1, using: &rng) : Float.nan }
        var y = base
        try bytes.withUnsafeBytes { raw in
            let weight = try WeightMatrix(type: type, rows: n, cols: k, bytes: raw)
            #expect(Int8MatMul.applies(to: weight, m: m), sourceLocation: sourceLocation)
            QuantizedMatMul.linear(&y, x, weight: weight, m: m, accumulate: accumulate, pool: pool, activations: .int8)
        }
        var firstBad: String? = nil
        outer: for i in 0..<m {
            for j in 0..<n {
                var exact = accumulate ? Double(base[i * n + j]) : 0
                var magnitude = 0.0, bound = 0.0
                for b in 0..<(k / 32) {
                    var amax = 0.0, wsum = 0.0
                    for p in (32 * b)..<(32 * b + 32) {
                        let t = Double(x[i * k + p]) * Double(w[j * k + p])
                        exact += t
                        magnitude += abs(t)
                        amax = max(amax, abs(Double(x[i * k + p])))
                        wsum += abs(Double(w[j * k + p]))
                    }
                    bound += amax / 254 * wsum
                }
                if !(abs(Double(y[i * n + j]) - exact) <= bound + 1e-5 * magnitude + 1e-6) {
                    firstBad = "y[\(i), \(j)] = \(y[i * n + j]), want \(exact) ± \(bound)"
                    break outer
                }
            }
        }
        #expect(firstBad == nil, "\(type) m=\(m) n=\(n) k=\(k) acc=\(accumulate): \(firstBad ?? "")",
                sourceLocation: sourceLocation)
        return y
    }

    /// The kernel against the scalar reference on the same panel and activations (random
    /// weights and activations unless given).
    func checkReference(_ type: GGMLType, m: Int, n: Int, k: Int, seed: UInt64, weight given: [UInt8]? = nil,
                        x givenX: [Float]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (bytes, w): ([UInt8], [Float])
        if let given {
            bytes = given
            w = try given.withUnsafeBytes { try Quantization.dequantize($0, as: type, count: n * k) }
        } else {
            (bytes, w) = try randomWeight(type, rows: n, cols: k, seed: seed)
        }
        let x = givenX ?? activations(m: m, k: k, seed: seed &+ 1)
        var got = [Float](repeating: .nan, count: m * n), want = got
        try bytes.withUnsafeBytes { raw in
            let weight = try WeightMatrix(type: type, rows: n, cols: k, bytes: raw)
            let acts = Int8Activations(x, m: m, k: k, pool: nil)
            let panel = Int8Panel(weight, rows: 0..<n)
            let id = Int32(type.rawValue)
            hdq_gemm(id, panel.q, panel.dP, panel.mins, panel.sub, n, acts.q, acts.dT, acts.s, 0, m, k, &got, n, 0, 0)
            hdq_gemm_reference(id, panel.q, panel.dP, panel.mins, panel.sub, n, acts.q, acts.dT, acts.s, 0, m, k, &want, n, 0, 0)
        }
        var firstBad: String? = nil
        outer: for i in 0..<m {
            for j in 0..<n {
                var magnitude = 0.0
                for p in 0..<k { magnitude += abs(Double(x[i * k + p]) * Double(w[j * k + p])) }
                if !(abs(Double(got[i * n + j]) - Double(want[i * n + j])) <= 1e-5 * magnitude + 1e-6) {
                    firstBad = "y[\(i), \(j)] = \(got[i * n + j]), reference \(want[i * n + j])"
                    break outer
                }
            }
        }
        #expect(firstBad == nil, "\(type) m=\(m) n=\(n) k=\(k): \(firstBad ?? "")", sourceLocation: sourceLocation)
    }

    @Test("every kernel matches the scalar reference", arguments: int8FlatTypes + int8SuperBlockTypes, kernelVariants)
    func reference(type: GGMLType, variant: Int8Kernel) throws {
        let saved = Int8MatMul.kernel
        Int8MatMul.kernel = variant
        defer { Int8MatMul.kernel = saved }
        #expect(Int8MatMul.kernel == variant)
        let unit = int8SuperBlockTypes.contains(type) ? 256 : 32
        // 133 tokens: more than one 128-token chunk of the AVX2 row kernel.
        for (m, n, k) in [(1, 1, unit), (3, 5, unit), (4, 2, 2 * unit), (5, 7, 3 * unit), (13, 9, unit), (16, 16, unit == 32 ? 576 : 512),
                          (133, 11, 2 * unit)] {
            try checkReference(type, m: m, n: n, k: k, seed: UInt64(m * 1000 + n * 10 + k))
        }
    }

    /// Every code at its largest magnitude against activations that quantize to ±127 in
    /// whole blocks: the integer sums reach their bounds (a 4-bit block's 8 quads 30,480
    /// in i16, a 5-bit one's 4 quads 31,496), so a kernel that widens too late wraps.
    @Test("integer sums hold at the extremes of codes and activations", arguments: int8FlatTypes + int8SuperBlockTypes, kernelVariants)
    func extremes(type: GGMLType, variant: Int8Kernel) throws {
        let saved = Int8MatMul.kernel
        Int8MatMul.kernel = variant
        defer { Int8MatMul.kernel = saved }
        let k = int8SuperBlockTypes.contains(type) ? 512 : 96, n = 11, m = 6
        // Rows of +1, −1 and alternating blocks of each (every value of a block quantizes to ±127).
        let x: [Float] = (0..<(m * k)).map { i in
            let row = i / k, block = (i % k) / 32
            switch row % 3 {
            case 0: return 1
            case 1: return -1
            default: return block % 2 == 0 ? 1 : -1
            }
        }
        for fill: UInt8 in [0xFF, 0x80, 0x7F] {
            var bytes = [UInt8](repeating: fill, count: try Quantization.byteCount(of: type, count: n * k))
            let half = Float16(0.01).bitPattern
            for block in 0..<(bytes.count / type.typeSize) {
                for f in type.halfFieldOffsets {
                    bytes[block * type.typeSize + f] = UInt8(half & 0xFF)
                    bytes[block * type.typeSize + f + 1] = UInt8(half >> 8)
                }
            }
            try checkReference(type, m: m, n: n, k: k, seed: 0, weight: bytes, x: x)
        }
    }

    @Test("flat types are within the activation rounding bound of the f32 product", arguments: int8FlatTypes, kernelVariants)
    func boundFlat(type: GGMLType, variant: Int8Kernel) throws {
        let saved = Int8MatMul.kernel
        Int8MatMul.kernel = variant
        defer { Int8MatMul.kernel = saved }
        #expect(Int8MatMul.kernel == variant)
        for m in [4, 5, 7, 16, 17, 33] {
            try checkBound(type, m: m, n: 29, k: 96, pool: pool, seed: UInt64(m))
        }
        for n in [1, 2, 5, 13, 48, 49, 97] {
            try checkBound(type, m: 9, n: n, k: 64, pool: pool, seed: UInt64(n))
        }
        // The decoder's shapes (k = 576 has 18 blocks: the block sums' padding to 8 matters).
        for (k, n) in [(576, 192), (1536, 576)] {
            try checkBound(type, m: 21, n: n, k: k, pool: pool)
        }
    }

    @Test("K-quants are within the activation rounding bound of the f32 product", arguments: int8SuperBlockTypes, kernelVariants)
    func boundSuperBlock(type: GGMLType, variant: Int8Kernel) throws {
        let saved = Int8MatMul.kernel
        Int8MatMul.kernel = variant
        defer { Int8MatMul.kernel = saved }
        #expect(Int8MatMul.kernel == variant)
        for (m, n, k) in [(4, 29, 256), (7, 13, 512), (19, 50, 768), (33, 3, 256)] {
            try checkBound(type, m: m, n: n, k: k, pool: pool, seed: UInt64(m + n))
        }
    }

    @Test("accumulate adds to y", arguments: int8FlatTypes + int8SuperBlockTypes)
    func accumulate(type: GGMLType) throws {
        let k = int8SuperBlockTypes.contains(type) ? 256 : 64
        try checkBound(type, m: 6, n: 13, k: k, accumulate: true, pool: pool)
        try checkBound(type, m: 21, n: 50, k: k, accumulate: true, pool: pool)
    }

    @Test("results are bitwise identical across thread counts", arguments: [GGMLType.q4_1, .q8_0, .q6_K])
    func threadCounts(type: GGMLType) throws {
        let k = int8SuperBlockTypes.contains(type) ? 256 : 128
        let pools: [ThreadPool?] = [nil, ThreadPool(threadCount: 1), pool, ThreadPool(threadCount: 3)]
        for m in [5, 40] {
            let outs = try pools.map { try checkBound(type, m: m, n: 150, k: k, pool: $0) }
            for o in outs.dropFirst() { #expect(o.map(\.bitPattern) == outs[0].map(\.bitPattern), "\(type) m=\(m)") }
        }
    }

    @Test("the threads-invariance and accumulate checks hold on every variant", arguments: kernelVariants)
    func variants(variant: Int8Kernel) throws {
        let saved = Int8MatMul.kernel
        Int8MatMul.kernel = variant
        defer { Int8MatMul.kernel = saved }
        for type in [GGMLType.q4_1, .q8_0] {
            try checkBound(type, m: 7, n: 13, k: 96, accumulate: true, pool: pool)
            let a = try checkBound(type, m: 21, n: 50, k: 160, pool: nil), b = try checkBound(type, m: 21, n: 50, k: 160, pool: pool)
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(type) \(variant)")
        }
    }

    @Test("a weight unpacked ahead of time gives the same bits as per-task unpacking",
          arguments: [GGMLType.q4_1, .q5_0, .q8_0, .q4_K, .q6_K])
    func prepacked(type: GGMLType) throws {
        let k = int8SuperBlockTypes.contains(type) ? 512 : 160
        for (m, n) in [(5, 13), (21, 97)] {  // odd row counts; 97 rows split over several tasks
            let (bytes, _) = try randomWeight(type, rows: n, cols: k, seed: UInt64(n))
            let x = activations(m: m, k: k, seed: 3)
            var a = [Float](repeating: 0, count: m * n), b = a
            try bytes.withUnsafeBytes { raw in
                let weight = try WeightMatrix(type: type, rows: n, cols: k, bytes: raw)
                let packed = try #require(Int8PackedWeight(weight))
                QuantizedMatMul.linear(&a, x, weight: weight, m: m, pool: pool, activations: .int8)
                QuantizedMatMul.linear(&b, x, weight: weight, m: m, pool: pool, activations: .int8, packed: packed)
            }
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(type) m=\(m) n=\(n)")
        }
    }

    @Test("products the integer path does not cover take the f32 path unchanged")
    func fallbacks() throws {
        // Too few rows (decoding), and a type without an integer kernel.
        for (type, m) in [(GGMLType.q4_1, 3), (.f16, 8), (.q3_K, 8)] {
            let k = type == .q3_K ? 256 : 64
            let (bytes, _) = try randomWeight(type, rows: 11, cols: k, seed: 9)
            let x = activations(m: m, k: k, seed: 10)
            var a = [Float](repeating: 0, count: m * 11), b = a
            try bytes.withUnsafeBytes { raw in
                let weight = try WeightMatrix(type: type, rows: 11, cols: k, bytes: raw)
                #expect(!Int8MatMul.applies(to: weight, m: m))
                QuantizedMatMul.linear(&a, x, weight: weight, m: m, pool: pool)
                QuantizedMatMul.linear(&b, x, weight: weight, m: m, pool: pool, activations: .int8)
            }
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(type) m=\(m)")
        }
    }

    @Test("activations quantize to codes, scales and block sums")
    func quantizeActivations() throws {
        let m = 5, k = 64
        var x = activations(m: m, k: k, seed: 4)
        for p in 32..<64 { x[p] = 0 }  // an all-zero block: scale 0, codes 0
        let acts = Int8Activations(x, m: m, k: k, pool: nil)
        for r in 0..<8 {  // rows 5..<8 are the tile's padding
            for b in 0..<2 {
                let d = acts.dT[(r / 4) * 2 * 4 + 4 * b + r % 4]
                var sum = 0
                for i in 0..<32 {
                    let q = Int(acts.q[r * k + 32 * b + i])
                    sum += q
                    let value = r < m ? x[r * k + 32 * b + i] : 0
                    #expect(abs(Float(q) * d - value) <= d / 2 * 1.0001 + 1e-7, "row \(r) value \(32 * b + i)")
                }
                #expect(abs(acts.s[r * 8 + b] - d * Float(sum)) <= 1e-6 * abs(d * Float(sum)))
                if r >= m || (r == 0 && b == 1) { #expect(d == 0) }
            }
            for b in 2..<8 { #expect(acts.s[r * 8 + b] == 0) }
        }
    }
}
