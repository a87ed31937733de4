// The blocked product behind `MatMul.linear` and the quantized products:
//     y[m, n] (+)= x[m, k] · W[n, k]ᵀ
// W rows are the micro-kernel's broadcast operand (6 rows at a time, contiguous in k,
// exactly as they lie in memory or as a dequantizer writes them) and the activations
// are packed once per product into transposed slivers of 16 rows:
//     sliver s: [k][16] floats, element (p, c) = x[16s + c, p], zero padded past m.
// Each output element is one micro-kernel accumulation over the whole of k in a fixed
// order, so results do not depend on the thread count or the task split (bitwise).
// See docs/kernels.md "Tiling" for why W, not x, is broadcast.
// Very large m (> 1024 rows: long prefills) is cut into ~512-row blocks (`RowBlocks`)
// that are packed and run one after the other, so the packed block the panel tasks stream
// stays in the cores' L2 instead of streaming from L3; blocks start on sliver boundaries, so every
// output element still sees the same micro-kernel accumulation (docs/kernels.md "Row blocks").
/// Activations x[m, k] packed for the linear kernel (see the file header for the layout).
/// Lives in the packing thread's `ScratchSlot.operand` buffer: valid until that thread
/// packs again.
public struct PackedActivations: @unchecked Sendable {
    public let m: Int
    public let k: Int
    public let base: UnsafePointer<Float>
    /// Number of 16-row slivers.
    public var sliverCount: Int { (m + 15) / 16 }
    /// Sliver s: k rows of 16 floats.
    @inline(__always) public func sliver(_ s: Int) -> UnsafePointer<Float> { base + s * k * 16 }
}

/// How a linear product of n output rows × m activation rows is split into tasks.
public struct LinearPlan: Sendable {
    /// Output features (W rows) per task, a multiple of 6.
    public let rowsPerTask: Int
    /// 16-row activation slivers per task.
    public let sliversPerTask: Int
    public let rowChunks: Int
    public let sliverGroups: Int
    public var taskCount: Int { rowChunks * sliverGroups }

    /// Chunks of up to 48 W rows (their dequantized copy stays in L2 at k <= 1536); when
    /// that gives too few tasks to keep every thread busy the slivers are split too.
    public init(m: Int, n: Int, threads: Int) {
        let slivers = max(1, (m + 15) / 16)
        let wanted = max(1, 3 * threads)
        var rows = 48
        while rows > 6 && (n + rows - 1) / rows < wanted { rows -= 6 }
        rowsPerTask = rows
        rowChunks = max(1, (n + rows - 1) / rows)
        let groups = min(slivers, max(1, (wanted + rowChunks - 1) / rowChunks))
        sliversPerTask = (slivers + groups - 1) / groups
        sliverGroups = (slivers + sliversPerTask - 1) / sliversPerTask
    }

    /// The W rows and slivers of task t.
    public func task(_ t: Int, n: Int, m: Int) -> (rows: Range<Int>, slivers: Range<Int>) {
        let chunk = t / sliverGroups, group = t % sliverGroups
        let r0 = chunk * rowsPerTask
        let s0 = group * sliversPerTask
        return (r0..<min(n, r0 + rowsPerTask), s0..<min((m + 15) / 16, s0 + sliversPerTask))
    }
}

/// Consecutive activation-row blocks of a linear product: each block is packed and run as
/// its own product (the callers loop over `range(_:)`). Blocks are whole 16-row slivers
/// (the last one may be ragged) of near-equal size, so each output element's tile, and with
/// it its result bits, is the same as without blocking. Products of at most
/// `LinearKernel.rowBlockMinRows` rows are one block (unchanged).
public struct RowBlocks: Sendable {
    public let m: Int
    /// Rows per block (a multiple of 16 unless there is one block).
    public let rowsPerBlock: Int
    public let count: Int

    public init(m: Int) {
        self.m = m
        let target = LinearKernel.rowBlockTarget
        if m <= max(LinearKernel.rowBlockMinRows, target) {
            rowsPerBlock = max(1, m); count = 1
            return
        }
        let blocks = (m + target - 1) / target
        let rows = ((m + blocks - 1) / blocks + 15) / 16 * 16
        rowsPerBlock = rows
        count = (m + rows - 1) / rows
    }

    /// The activation rows of block b.
    public func range(_ b: Int) -> Range<Int> {
        let lo = b * rowsPerBlock
        return lo..<min(m, lo + rowsPerBlock)
    }
}

public enum LinearKernel {
    /// Products with at most this many activation rows run as one block (unchanged): below
    /// it the repeated panel decode of smaller blocks cost more than the cache misses they
    /// save (measured, docs/kernels.md "Row blocks").
    public static let rowBlockMinRows = 1024

    /// Target activation rows per block when a product is cut into blocks.
    public static let rowBlockTarget = 512

    /// Packs x[m, k] block by block (`RowBlocks`) and calls `body(rows, packed)` for each
    /// block, one after the other; `rows` are the block's activation rows, so the caller's
    /// output rows start at `rows.lowerBound`. Products of at most `rowBlockMinRows` rows
    /// are one call with everything packed, as before blocking existed.
    public static func forEachRowBlock(_ x: UnsafePointer<Float>, m: Int, k: Int, pool: ThreadPool?,
                                       _ body: (Range<Int>, PackedActivations) -> Void) {
        let blocks = RowBlocks(m: m)
        for b in 0..<blocks.count {
            let rows = blocks.range(b)
            body(rows, pack(x + rows.lowerBound * k, ldx: k, m: rows.count, k: k, pool: pool))
        }
    }

    /// Below this many activation rows, products use dot products instead of the tiled kernel.
    public static let tiledMinRows = 4

    /// Packs x[m, k] (rows `ldx` apart) into 16-row transposed slivers, in the calling
    /// thread's operand scratch; slivers are packed in parallel on `pool`.
    public static func pack(_ x: UnsafePointer<Float>, ldx: Int, m: Int, k: Int,
                            pool: ThreadPool? = nil) -> PackedActivations {
        let slivers = (m + 15) / 16
        let dst = ThreadScratch.floats(max(1, slivers * k * 16), slot: .operand)
        let packOne = { (s: Int) in
            let out = dst + s * k * 16
            let rows = min(16, m - 16 * s)
            for c in 0..<rows {
                let src = x + (16 * s + c) * ldx
                for p in 0..<k { out[p * 16 + c] = src[p] }
            }
            if rows < 16 {
                for p in 0..<k { for c in rows..<16 { out[p * 16 + c] = 0 } }
            }
        }
        if let pool, pool.threadCount > 1, slivers > 1, slivers * k >= 4096 {
            pool.parallelFor(slivers, packOne)
        } else {
            for s in 0..<slivers { packOne(s) }
        }
        return PackedActivations(m: m, k: k, base: UnsafePointer(dst))
    }

    /// y[i, j0 + r] (+)= Σ_p rows[r·rowStride + p] · x[i, p]
    /// for r in 0..<rowCount and i in the activation rows of `slivers`.
    /// `rows` holds rowCount W rows of k floats; y rows are `ldy` apart.
    public static func apply(_ y: UnsafeMutablePointer<Float>, ldy: Int,
                             rows: UnsafePointer<Float>, rowStride: Int, rowCount: Int, firstRow j0: Int,
                             x: PackedActivations, slivers: Range<Int>, accumulate: Bool) {
        let k = x.k
        for s in slivers {
            let b = x.sliver(s)
            let cols = min(16, x.m - 16 * s)
            var r0 = 0
            while r0 < rowCount {
                let count = min(6, rowCount - r0)
                computeTile(ARows(rows + r0 * rowStride, rowStride: rowStride, count: count), aStep: 1,
                            b, ldb: 16, k: k,
                            y + 16 * s * ldy + j0 + r0, cRowStride: 1, cColStride: ldy,
                            rows: count, cols: cols, accumulate: accumulate)
                r0 += 6
            }
        }
    }
}
