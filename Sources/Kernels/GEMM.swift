// The general product driver behind `matmul`, `matmulTransA` and Quant's
// `linearTransposed`:
//     c[m, n] (+)= A[m, k] · B[k, n]
// A is read in place, element (r, p) at a[r·aRowStride + p·aStep]; B is supplied by a
// packing callback as 16-column slivers ([k][16] floats, zero padded past n), so the
// caller decides where B comes from (an f32 matrix, dequantized weight blocks, ...).
// Tasks are blocks of slivers × groups of 6-row strips; each task packs its slivers
// once (≤ ~192 KiB, so they stay in L2 while A streams past) and runs the 6×16
// micro-kernel over them. Each output element is one kernel call over all of k, so the
// result does not depend on the thread count.

public enum GEMM {
    /// c[m, n] (+)= A · B; c rows are n apart.
    /// - Parameters:
    ///   - sliverAlignment: task sliver ranges start at multiples of this (2 keeps 32-value
    ///     quantization blocks inside one task).
    ///   - packB: writes slivers `range` consecutively to `dst`: sliver s at
    ///     dst + (s − range.lowerBound)·k·16, element (p, c) = B[p, 16s + c], zeros past n.
    ///     Called from pool threads, once per task.
    public static func product(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                               aRowStride: Int, aStep: Int, m: Int, n: Int, k: Int,
                               sliverAlignment: Int = 1, accumulate: Bool, pool: ThreadPool?,
                               packB: (_ dst: UnsafeMutablePointer<Float>, _ slivers: Range<Int>) -> Void) {
        guard m > 0, n > 0 else { return }
        if k <= 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        let threads = pool?.threadCount ?? 1
        let slivers = (n + 15) / 16
        let align = max(1, sliverAlignment)
        var q = max(1, min(slivers, (192 * 1024) / max(1, k * 16 * 4)))
        q = (q + align - 1) / align * align
        let colBlocks = (slivers + q - 1) / q
        let wanted = 3 * threads
        let rowGroupsWanted = min((m + 5) / 6, max(1, (wanted + colBlocks - 1) / colBlocks))
        let rowsPerGroup = (((m + rowGroupsWanted - 1) / rowGroupsWanted) + 5) / 6 * 6
        let rowGroups = (m + rowsPerGroup - 1) / rowsPerGroup
        MatMul.run(pool, colBlocks * rowGroups) { t in
            let block = t / rowGroups, group = t % rowGroups
            let s0 = block * q, s1 = min(slivers, s0 + q)
            let packed = ThreadScratch.floats((s1 - s0) * k * 16, slot: .task)
            packB(packed, s0..<s1)
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
}
