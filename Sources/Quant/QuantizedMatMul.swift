// Products with a weight matrix stored in a ggml type (any `GGMLType.isDecodable` one):
//     y[m, n] (+)= x[m, k] · Wᵀ          W: WeightMatrix [n, k]
// Two paths, chosen by the number of activation rows (measurements in docs/kernels.md):
//  - m < LinearKernel.tiledMinRows (decoding): each W block is decoded to f32 in
//    registers and applied to the x rows directly (dot products, bound by reading W).
//  - otherwise: each task dequantizes a chunk of up to 48 W rows to f32 once into
//    per-thread scratch and runs the f32 6×16 micro-kernel against the packed x
//    (LinearKernel), so the decode cost is amortized over all activation rows; large m
//    (> 1024 rows) runs in row blocks (RowBlocks) whose packed activations stay in cache.
// With `activations: .int8`, products of m ≥ Int8MatMul.minRows rows whose weight type
// has an integer kernel quantize x to 8 bits per block instead (Int8MatMul.swift); the
// default keeps x in f32 (docs/kernels.md "Integer prefill" has the measurements).
import Kernels

public enum QuantizedMatMul {
    /// y[m, n] (+)= x[m, k] · Wᵀ for W of any decodable type (WeightMatrix refuses the others).
    public static func linear(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight: WeightMatrix,
                              m: Int, accumulate: Bool = false, pool: ThreadPool? = .shared,
                              activations: ActivationPrecision = .f32, packed: Int8PackedWeight? = nil,
                              decoded: DecodedWeight? = nil) {
        if activations == .int8, Int8MatMul.applies(to: weight, m: m) {
            Int8MatMul.linear(y, x, weight: weight, m: m, accumulate: accumulate, pool: pool, packed: packed)
            return
        }
        // W decoded ahead of time: both paths read its rows instead of decoding them (the
        // same values through the same kernel in the same order, so the same bits).
        if let decoded {
            precondition(decoded.rows == weight.rows && decoded.cols == weight.cols,
                         "QuantizedMatMul.linear: decoded weight \(decoded.rows)×\(decoded.cols) for W \(weight.rows)×\(weight.cols)")
            if m < LinearKernel.tiledMinRows {
                dotPath(F32Decoder.self, y, x, decoded.matrix, m, accumulate, pool)
            } else {
                tiled(y, x, n: weight.rows, k: weight.cols, m: m, accumulate: accumulate, pool: pool) { rows in
                    UnsafePointer(decoded.values + rows.lowerBound * weight.cols)
                }
            }
            return
        }
        switch weight.type {
        case .f32:
            if let base = weight.bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                MatMul.linear(y, x, base.assumingMemoryBound(to: Float.self), m: m, n: weight.rows, k: weight.cols,
                              accumulate: accumulate, pool: pool)
            } else {
                run(F32Decoder.self, y, x, weight, m, accumulate, pool)
            }
        case .f16: run(F16Decoder.self, y, x, weight, m, accumulate, pool)
        case .bf16: run(BF16Decoder.self, y, x, weight, m, accumulate, pool)
        case .q8_0: run(Q8_0Decoder.self, y, x, weight, m, accumulate, pool)
        case .q4_0: run(Q4_0Decoder.self, y, x, weight, m, accumulate, pool)
        case .q4_1: run(Q4_1Decoder.self, y, x, weight, m, accumulate, pool)
        case .q5_0: run(Q5_0Decoder.self, y, x, weight, m, accumulate, pool)
        case .q5_1: run(Q5_1Decoder.self, y, x, weight, m, accumulate, pool)
        case .q2_K: run(Q2_KDecoder.self, y, x, weight, m, accumulate, pool)
        case .q3_K: run(Q3_KDecoder.self, y, x, weight, m, accumulate, pool)
        case .q4_K: run(Q4_KDecoder.self, y, x, weight, m, accumulate, pool)
        case .q5_K: run(Q5_KDecoder.self, y, x, weight, m, accumulate, pool)
        case .q6_K: run(Q6_KDecoder.self, y, x, weight, m, accumulate, pool)
        default: preconditionFailure("WeightMatrix admits only decodable types, not \(weight.type)")
        }
    }

    /// dx[m, k] (+)= dy[m, n] · W   (the input gradient of `linear`: W[n, k] of any supported type)
    public static func linearTransposed(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, weight: WeightMatrix,
                                        m: Int, accumulate: Bool = false, pool: ThreadPool? = .shared) {
        switch weight.type {
        case .f32:
            if let base = weight.bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                MatMul.matmul(dx, dy, base.assumingMemoryBound(to: Float.self), m: m, n: weight.cols, k: weight.rows,
                              accumulate: accumulate, pool: pool)
            } else {
                runTransposed(F32Decoder.self, dx, dy, weight, m, accumulate, pool)
            }
        case .f16: runTransposed(F16Decoder.self, dx, dy, weight, m, accumulate, pool)
        case .bf16: runTransposed(BF16Decoder.self, dx, dy, weight, m, accumulate, pool)
        case .q8_0: runTransposed(Q8_0Decoder.self, dx, dy, weight, m, accumulate, pool)
        case .q4_0: runTransposed(Q4_0Decoder.self, dx, dy, weight, m, accumulate, pool)
        case .q4_1: runTransposed(Q4_1Decoder.self, dx, dy, weight, m, accumulate, pool)
        case .q5_0: runTransposed(Q5_0Decoder.self, dx, dy, weight, m, accumulate, pool)
        case .q5_1: runTransposed(Q5_1Decoder.self, dx, dy, weight, m, accumulate, pool)
        case .q2_K: runTransposed(Q2_KDecoder.self, dx, dy, weight, m, accumulate, pool)
        case .q3_K: runTransposed(Q3_KDecoder.self, dx, dy, weight, m, accumulate, pool)
        case .q4_K: runTransposed(Q4_KDecoder.self, dx, dy, weight, m, accumulate, pool)
        case .q5_K: runTransposed(Q5_KDecoder.self, dx, dy, weight, m, accumulate, pool)
        case .q6_K: runTransposed(Q6_KDecoder.self, dx, dy, weight, m, accumulate, pool)
        default: preconditionFailure("WeightMatrix admits only decodable types, not \(weight.type)")
        }
    }

    /// dx = dy · W through the GEMM driver: B = W (depth n, k columns), each task decoding
    /// the 32-value blocks of its column range straight into 16-column slivers.
    static func runTransposed<D: RowDecoder>(_ decoder: D.Type, _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>,
                                             _ weight: WeightMatrix, _ m: Int, _ accumulate: Bool, _ pool: ThreadPool?) {
        let n = weight.rows, k = weight.cols
        GEMM.product(dx, dy, aRowStride: n, aStep: 1, m: m, n: k, k: n, sliverAlignment: 2,
                     accumulate: accumulate, pool: pool) { dst, slivers in
            decodeColumns(D.self, weight, slivers: slivers, into: dst)
        }
    }

    /// Dequantizes W[n, k] to f32 row-major (the tiled path's panel step, exposed for tests and tools).
    public static func dequantize(_ weight: WeightMatrix, into out: UnsafeMutablePointer<Float>) {
        guard weight.rows > 0 else { return }
        switch weight.type {
        case .f32: decodeRows(F32Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .f16: decodeRows(F16Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .bf16: decodeRows(BF16Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q8_0: decodeRows(Q8_0Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q4_0: decodeRows(Q4_0Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q4_1: decodeRows(Q4_1Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q5_0: decodeRows(Q5_0Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q5_1: decodeRows(Q5_1Decoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q2_K: decodeRows(Q2_KDecoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q3_K: decodeRows(Q3_KDecoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q4_K: decodeRows(Q4_KDecoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q5_K: decodeRows(Q5_KDecoder.self, weight, first: 0, count: weight.rows, into: out)
        case .q6_K: decodeRows(Q6_KDecoder.self, weight, first: 0, count: weight.rows, into: out)
        default: preconditionFailure("WeightMatrix admits only decodable types, not \(weight.type)")
        }
    }

    static func run<D: RowDecoder>(_ decoder: D.Type, _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                   _ weight: WeightMatrix, _ m: Int, _ accumulate: Bool, _ pool: ThreadPool?) {
        let n = weight.rows, k = weight.cols
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { y.update(repeating: 0, count: m * n) }
            return
        }
        if m < LinearKernel.tiledMinRows {
            dotPath(D.self, y, x, weight, m, accumulate, pool)
            return
        }
        tiled(y, x, n: n, k: k, m: m, accumulate: accumulate, pool: pool) { rows in
            let panel = ThreadScratch.floats(rows.count * k, slot: .task)
            decodeRows(D.self, weight, first: rows.lowerBound, count: rows.count, into: panel)
            return UnsafePointer(panel)
        }
    }

    /// Products with fewer than `LinearKernel.tiledMinRows` activation rows: each W row is
    /// decoded 32 values at a time and dotted with every x row, 32 W rows per task.
    static func dotPath<D: RowDecoder>(_ decoder: D.Type, _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                       _ weight: WeightMatrix, _ m: Int, _ accumulate: Bool, _ pool: ThreadPool?) {
        let n = weight.rows, chunk = 32
        parallel(pool, (n + chunk - 1) / chunk) { t in
            let lo = t * chunk
            dotRowsDecoded(D.self, y, x, weight: weight, m: m, rows: lo..<min(n, lo + chunk), accumulate: accumulate)
        }
    }

    /// The tiled product: per LinearPlan task, `panel(rows)` gives W's rows (f32, k apart) and
    /// the 6×16 micro-kernel applies them to the task's activation slivers. Very large m runs
    /// block by block so each block's packed activations stay in cache.
    static func tiled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, n: Int, k: Int, m: Int,
                      accumulate: Bool, pool: ThreadPool?, panel: (Range<Int>) -> UnsafePointer<Float>) {
        let threads = pool?.threadCount ?? 1
        LinearKernel.forEachRowBlock(x, m: m, k: k, pool: pool) { block, packed in
            let mb = block.count, yb = y + block.lowerBound * n
            let plan = LinearPlan(m: mb, n: n, threads: threads)
            parallel(pool, plan.taskCount) { t in
                let (rows, slivers) = plan.task(t, n: n, m: mb)
                LinearKernel.apply(yb, ldy: n, rows: panel(rows), rowStride: k, rowCount: rows.count, firstRow: rows.lowerBound,
                                   x: packed, slivers: slivers, accumulate: accumulate)
            }
        }
    }

    @inline(__always)
    static func parallel(_ pool: ThreadPool?, _ count: Int, _ body: (Int) -> Void) {
        if let pool, pool.threadCount > 1 { pool.parallelFor(count, body) }
        else { for i in 0..<count { body(i) } }
    }
}
