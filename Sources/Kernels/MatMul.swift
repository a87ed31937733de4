// f32 matrix products, the three shapes the decoder and the trainer need:
//     linear:        y[m, n] (+)= x[m, k] · w[n, k]ᵀ   (PyTorch Linear / ggml: a weight row per output)
//     matmul:        c[m, n] (+)= a[m, k] · b[k, n]
//     matmulTransA:  c[m, n] (+)= a[k, m]ᵀ · b[k, n]  (weight gradients: dW = dYᵀ · X)
// All matrices are dense, row-major, without padding. The work is tiled for the 6×16
// micro-kernel (MicroKernel.swift) and spread over a ThreadPool; pass `pool: nil` to
// run on the calling thread. Results are bitwise identical for every thread count.

public enum MatMul {
    /// y[m, n] (+)= x[m, k] · w[n, k]ᵀ   (PyTorch Linear / ggml layout: each output's weights are a contiguous row)
    public static func linear(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                              m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool? = .shared) {
        guard m > 0, n > 0 else { return }
        if k <= 0 {
            if !accumulate { y.update(repeating: 0, count: m * n) }
            return
        }
        let threads = pool?.threadCount ?? 1
        if m < LinearKernel.tiledMinRows {
            // Chunks of 64 rows (multiples of 4) keep dot4 groups aligned.
            let chunk = 64
            let tasks = (n + chunk - 1) / chunk
            run(pool, tasks) { t in
                let lo = t * chunk
                dotRows(y, x, w, m: m, n: n, k: k, rows: lo..<min(n, lo + chunk), accumulate: accumulate)
            }
            return
        }
        // Very large m runs block by block so each block's packed activations stay in cache.
        LinearKernel.forEachRowBlock(x, m: m, k: k, pool: pool) { block, packed in
            let mb = block.count, yb = y + block.lowerBound * n
            let plan = LinearPlan(m: mb, n: n, threads: threads)
            run(pool, plan.taskCount) { t in
                let (rows, slivers) = plan.task(t, n: n, m: mb)
                LinearKernel.apply(yb, ldy: n, rows: w + rows.lowerBound * k, rowStride: k, rowCount: rows.count,
                                   firstRow: rows.lowerBound, x: packed, slivers: slivers, accumulate: accumulate)
            }
        }
    }

    /// One output of `linear(sharing:…)`: y[m, n] (+)= x · w[n, k]ᵀ.
    public struct SharedInputProduct: @unchecked Sendable {
        public var y: UnsafeMutablePointer<Float>
        public var w: UnsafePointer<Float>
        public var n: Int
        public init(y: UnsafeMutablePointer<Float>, w: UnsafePointer<Float>, n: Int) {
            self.y = y; self.w = w; self.n = n
        }
    }

    /// Several products of one activation matrix, y_i[m, n_i] (+)= x[m, k] · w_i[n_i, k]ᵀ, as one
    /// job: x is packed once and the tasks of all products share the pool (a layer's q, k and v,
    /// or gate and up). Each y_i is bit-identical to `linear(y_i, x, w_i, …)`.
    public static func linear(sharing products: [SharedInputProduct], _ x: UnsafePointer<Float>,
                              m: Int, k: Int, accumulate: Bool = false, pool: ThreadPool? = .shared) {
        if m < LinearKernel.tiledMinRows || k <= 0 || products.count < 2 {
            for p in products { linear(p.y, x, p.w, m: m, n: p.n, k: k, accumulate: accumulate, pool: pool) }
            return
        }
        let threads = pool?.threadCount ?? 1
        // Very large m runs block by block so each block's packed activations stay in cache.
        LinearKernel.forEachRowBlock(x, m: m, k: k, pool: pool) { block, packed in
            let mb = block.count, i0 = block.lowerBound
            let plans = products.map { LinearPlan(m: mb, n: max(1, $0.n), threads: threads) }
            var firstTask: [Int] = [0]
            for (i, plan) in plans.enumerated() { firstTask.append(firstTask[i] + (products[i].n > 0 ? plan.taskCount : 0)) }
            run(pool, firstTask[products.count]) { t in
                var i = 0
                while t >= firstTask[i + 1] { i += 1 }
                let p = products[i], n = p.n
                let (rows, slivers) = plans[i].task(t - firstTask[i], n: n, m: mb)
                LinearKernel.apply(p.y + i0 * n, ldy: n, rows: p.w + rows.lowerBound * k, rowStride: k, rowCount: rows.count,
                                   firstRow: rows.lowerBound, x: packed, slivers: slivers, accumulate: accumulate)
            }
        }
    }

    /// c[m, n] (+)= a[m, k] · b[k, n]
    public static func matmul(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool? = .shared) {
        guard m > 0, n > 0 else { return }
        if k <= 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        // A(r, p) = a[r·k + p]
        stridedA(c, a, aRowStride: k, aStep: 1, b, m: m, n: n, k: k, accumulate: accumulate, pool: pool)
    }

    /// c[m, n] (+)= a[k, m]ᵀ · b[k, n]   (weight gradients: dW = dYᵀ · X)
    public static func matmulTransA(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                    m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool? = .shared) {
        guard m > 0, n > 0 else { return }
        if k <= 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        // A(r, p) = a[p·m + r]
        stridedA(c, a, aRowStride: 1, aStep: m, b, m: m, n: n, k: k, accumulate: accumulate, pool: pool)
    }

    /// c[m, n] (+)= A · b[k, n] with A(r, p) at a[r·aRowStride + p·aStep].
    static func stridedA(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, aRowStride: Int, aStep: Int,
                         _ b: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool, pool: ThreadPool?) {
        GEMM.product(c, a, aRowStride: aRowStride, aStep: aStep, m: m, n: n, k: k,
                     accumulate: accumulate, pool: pool) { dst, slivers in
            for s in slivers {
                let out = dst + (s - slivers.lowerBound) * k * 16
                let j0 = 16 * s, cols = min(16, n - j0)
                if cols == 16 {
                    for p in 0..<k {
                        let src = b + p * n + j0
                        out.store8(src.load8(0), p * 16); out.store8(src.load8(8), p * 16 + 8)
                    }
                } else {
                    for p in 0..<k {
                        let src = b + p * n + j0
                        for cc in 0..<16 { out[p * 16 + cc] = cc < cols ? src[cc] : 0 }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func run(_ pool: ThreadPool?, _ count: Int, _ body: (Int) -> Void) {
        if let pool, pool.threadCount > 1 { pool.parallelFor(count, body) }
        else { for i in 0..<count { body(i) } }
    }
}
