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
        let packed = LinearKernel.pack(x, ldx: k, m: m, k: k, pool: pool)
        let plan = LinearPlan(m: m, n: n, threads: threads)
        run(pool, plan.taskCount) { t in
            let (rows, slivers) = plan.task(t, n: n, m: m)
            LinearKernel.apply(y, ldy: n, rows: w + rows.lowerBound * k, rowStride: k, rowCount: rows.count,
                               firstRow: rows.lowerBound, x: packed, slivers: slivers, accumulate: accumulate)
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
    /// Tasks are blocks of 16·q columns × groups of rows; each task packs its columns of b
    /// into k×16 slivers (contiguous, so the kernel streams them and tails are zero padded).
    static func stridedA(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, aRowStride: Int, aStep: Int,
                         _ b: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool, pool: ThreadPool?) {
        let threads = pool?.threadCount ?? 1
        let slivers = (n + 15) / 16
        // Keep a task's packed columns within ~192 KiB so they stay in L2 while A streams.
        let q = max(1, min(slivers, (192 * 1024) / max(1, k * 16 * 4)))
        let colBlocks = (slivers + q - 1) / q
        let wanted = 3 * threads
        let rowGroupsWanted = min((m + 5) / 6, max(1, (wanted + colBlocks - 1) / colBlocks))
        let rowsPerGroup = (((m + rowGroupsWanted - 1) / rowGroupsWanted) + 5) / 6 * 6
        let rowGroups = (m + rowsPerGroup - 1) / rowsPerGroup
        run(pool, colBlocks * rowGroups) { t in
            let block = t / rowGroups, group = t % rowGroups
            let s0 = block * q, s1 = min(slivers, s0 + q)
            let packed = ThreadScratch.floats((s1 - s0) * k * 16, slot: .task)
            for s in s0..<s1 {
                let dst = packed + (s - s0) * k * 16
                let j0 = 16 * s, cols = min(16, n - j0)
                if cols == 16 {
                    for p in 0..<k {
                        let src = b + p * n + j0
                        dst.store8(src.load8(0), p * 16); dst.store8(src.load8(8), p * 16 + 8)
                    }
                } else {
                    for p in 0..<k {
                        let src = b + p * n + j0
                        for cc in 0..<16 { dst[p * 16 + cc] = cc < cols ? src[cc] : 0 }
                    }
                }
            }
            let r0 = group * rowsPerGroup, r1 = min(m, r0 + rowsPerGroup)
            var r = r0
            while r < r1 {
                let count = min(6, r1 - r)
                let rows = ARows(a + r * aRowStride, rowStride: aRowStride, count: count)
                for s in s0..<s1 {
                    let j0 = 16 * s
                    computeTile(rows, aStep: aStep, UnsafePointer(packed + (s - s0) * k * 16), ldb: 16, k: k,
                                c + r * n + j0, cRowStride: n, cColStride: 1,
                                rows: count, cols: min(16, n - j0), accumulate: accumulate)
                }
                r += 6
            }
        }
    }

    @inline(__always)
    static func run(_ pool: ThreadPool?, _ count: Int, _ body: (Int) -> Void) {
        if let pool, pool.threadCount > 1 { pool.parallelFor(count, body) }
        else { for i in 0..<count { body(i) } }
    }
}
