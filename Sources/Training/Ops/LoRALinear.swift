// LoRALinear: a frozen Linear plus a low-rank update, y = x·Wᵀ (+ b) + s·(drop(x)·Aᵀ)·Bᵀ.
//
// Hu et al. 2021 (LoRA) as PEFT implements it: lora_A is [R, K], lora_B is [N, R], dropout acts on
// the adapter's input only, s = alpha / r (HDRec: r = 8, alpha = 32, so s = 4; dropout 0.3,
// docs/public-code.md §3). W is frozen, so backward gives dX, dA and dB but never dW.
//
// Saved for backward: u = drop(x)·Aᵀ, (M, R): R floats per row. The dropped input is
// regenerated from x and the seed (Dropout.swift) instead of being stored, and never as a whole
// (M, K) tensor: both passes walk `rowBlock`-row blocks, mask each block into a small buffer and
// feed it straight to the rank-R products, so the masked copy stays in cache. Backward draws each
// block's mask once for both of its uses (dA and the dropout backward of dX).
import TrainingOps

/// The shape and hyper-parameters of one LoRA-adapted projection.
public struct LoRAShape: Sendable, Equatable {
    /// Rows (tokens).
    public var m: Int
    /// Output features.
    public var n: Int
    /// Input features.
    public var k: Int
    /// Adapter rank R.
    public var rank: Int
    /// s = alpha / rank.
    public var scale: Double
    /// Dropout probability on the adapter input (0 in evaluation).
    public var dropout: Double
    /// (M) each row's dropout key (Sources/TrainingOps/RowKeyedDropout.swift); nil: masks by element index.
    public var rowKeys: [UInt64]?

    public init(m: Int, n: Int, k: Int, rank: Int, scale: Double, dropout: Double, rowKeys: [UInt64]? = nil) {
        self.m = m; self.n = n; self.k = k; self.rank = rank; self.scale = scale; self.dropout = dropout
        self.rowKeys = rowKeys
    }
}

/// A frozen projection with a trainable low-rank adapter.
public enum LoRALinear {
    /// Rows per masked block (rowBlock × K floats of scratch per block buffer).
    static let rowBlock = 32

    /// Forward.
    /// - Parameters:
    ///   - out: y, (M, N), overwritten
    ///   - saved: u = drop(x)·Aᵀ, (M, R), overwritten (keep it for backward)
    ///   - input: x, (M, K)
    ///   - weight: frozen W, (N, K); bias: frozen b, (N) or nil
    ///   - a: lora_A, (R, K); b: lora_B, (N, R)
    ///   - seed: the dropout stream for this site and step (reuse it in backward)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, saved u: UnsafeMutablePointer<T>,
                                              input: UnsafePointer<T>, weight: UnsafePointer<T>,
                                              bias: UnsafePointer<T>?, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                              shape s: LoRAShape, seed: UInt64) {
        Linear.forward(out: out, input: input, weight: weight, bias: bias, m: s.m, n: s.n, k: s.k)
        forwardAdapter(out: out, saved: u, input: input, a: a, b: b, shape: s, seed: seed)
    }

    /// The adapter half of `forward`: out += s·(drop(x)·Aᵀ)·Bᵀ, saving u, where out already holds
    /// the frozen x·Wᵀ (+ b) (LlamaBlock computes q, k, v's frozen products in one shared job).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forwardAdapter<T: TrainScalar>(out: UnsafeMutablePointer<T>, saved u: UnsafeMutablePointer<T>,
                                                     input: UnsafePointer<T>, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                                     shape s: LoRAShape, seed: UInt64) {
        if s.dropout <= 0 {
            T.gemmLinear(u, input, a, m: s.m, n: s.rank, k: s.k, accumulate: false)
        } else {
            // u[blk] = (x[blk] ⊙ mask)·Aᵀ, one row block at a time.
            let k = s.k
            forEachBlock(s) { rows, _ in
                let f = UnsafeMutablePointer<T>.allocate(capacity: rowBlock * k)
                defer { f.deallocate() }
                var r0 = rows.lowerBound
                while r0 < rows.upperBound {
                    let nr = min(rowBlock, rows.upperBound - r0), n = nr * k, x = input + r0 * k
                    RowKeyedDropout.factors(f, seed: seed, rows: r0 ..< r0 + nr, width: k, p: s.dropout, keys: s.rowKeys)
                    for i in 0..<n { f[i] *= x[i] }
                    T.gemmLinear(u + r0 * s.rank, f, a, m: nr, n: s.rank, k: k, accumulate: false)
                    r0 += nr
                }
            }
        }
        // y += (s·u)·Bᵀ: scale the small (M, R) factor, not the (M, N) output.
        let su = UnsafeMutablePointer<T>.allocate(capacity: s.m * s.rank)
        defer { su.deallocate() }
        let scale = T(s.scale)
        for i in 0..<(s.m * s.rank) { su[i] = u[i] * scale }
        T.gemmLinear(out, su, b, m: s.m, n: s.n, k: s.rank, accumulate: true)
    }

    /// Backward. Accumulates into dInput (if non-nil), dA and dB (if non-nil).
    /// - Parameters:
    ///   - dInput: dX, (M, K) or nil when the input needs no gradient
    ///   - dA: (R, K); dB: (N, R); nil for a frozen adapter (gradient still flows to dX)
    ///   - dOut: dY, (M, N)
    ///   - input, saved, weight, a, b, seed: as passed to forward
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>?, dA: UnsafeMutablePointer<T>?,
                                               dB: UnsafeMutablePointer<T>?, dOut: UnsafePointer<T>,
                                               input: UnsafePointer<T>, saved u: UnsafePointer<T>,
                                               weight: UnsafePointer<T>, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                               shape s: LoRAShape, seed: UInt64) {
        let mr = s.m * s.rank, rank = s.rank, k = s.k
        let scale = T(s.scale)
        // dU = s · dY·B, (M, R)
        let dU = UnsafeMutablePointer<T>.allocate(capacity: mr)
        defer { dU.deallocate() }
        T.gemm(dU, dOut, b, m: s.m, n: rank, k: s.n, accumulate: false)
        for i in 0..<mr { dU[i] *= scale }
        // dB += s · dYᵀ·u, (N, R)
        if let dB {
            let su = UnsafeMutablePointer<T>.allocate(capacity: mr)
            defer { su.deallocate() }
            for i in 0..<mr { su[i] = u[i] * scale }
            T.gemmTransA(dB, dOut, su, m: s.n, n: rank, k: s.m, accumulate: true)
        }
        // dX += dY·W (frozen path)
        if let dInput { T.gemm(dInput, dOut, weight, m: s.m, n: k, k: s.n, accumulate: true) }
        if s.dropout <= 0 {
            if let dA { T.gemmTransA(dA, dU, input, m: rank, n: k, k: s.m, accumulate: true) }
            if let dInput { T.gemm(dInput, dU, a, m: s.m, n: k, k: rank, accumulate: true) }
            return
        }
        if dA == nil && dInput == nil { return }
        // Per row block, one mask f:  dA += dU[blk]ᵀ·(x[blk] ⊙ f),  dX[blk] += (dU[blk]·A) ⊙ f.
        // Each chunk of rows sums its dA part separately; the parts are added in chunk order.
        let chunks = blockChunks(s)
        let parts = UnsafeMutablePointer<T>.allocate(capacity: dA == nil ? 1 : chunks * rank * k)
        defer { parts.deallocate() }
        if dA != nil { parts.initialize(repeating: 0, count: chunks * rank * k) }
        forEachBlock(s) { rows, chunk in
            let f = UnsafeMutablePointer<T>.allocate(capacity: 2 * rowBlock * k)
            defer { f.deallocate() }
            let tmp = f + rowBlock * k
            var r0 = rows.lowerBound
            while r0 < rows.upperBound {
                let nr = min(rowBlock, rows.upperBound - r0), n = nr * k
                RowKeyedDropout.factors(f, seed: seed, rows: r0 ..< r0 + nr, width: k, p: s.dropout, keys: s.rowKeys)
                if let dInput {
                    T.gemm(tmp, dU + r0 * rank, a, m: nr, n: k, k: rank, accumulate: false)
                    let dx = dInput + r0 * k
                    for i in 0..<n { dx[i] += tmp[i] * f[i] }
                }
                if dA != nil {
                    let x = input + r0 * k
                    for i in 0..<n { tmp[i] = x[i] * f[i] }
                    T.gemmTransA(parts + chunk * rank * k, dU + r0 * rank, tmp, m: rank, n: k, k: nr, accumulate: true)
                }
                r0 += nr
            }
        }
        if let dA {
            for c in 0..<chunks {
                let part = parts + c * rank * k
                for i in 0..<(rank * k) { dA[i] += part[i] }
            }
        }
    }

    /// Row chunks of the masked passes at most. A constant, not a multiple of the thread count:
    /// backward sums dA per chunk and adds the chunks in order, so the chunking fixes the rounding,
    /// and the same run must give the same bits at any HDREC_THREADS (as at any number of ranks).
    /// 8 keeps up to 4 threads busy with dynamic scheduling.
    static let maxChunks = 8

    /// How many row chunks the masked passes use: fixed by M alone (not by threads or scheduling).
    static func blockChunks(_ s: LoRAShape) -> Int {
        max(1, min((s.m + rowBlock - 1) / rowBlock, maxChunks))
    }

    /// Runs body(rows, chunkIndex) over `blockChunks(s)` contiguous row ranges, in parallel.
    @inline(__always)
    static func forEachBlock(_ s: LoRAShape, _ body: (Range<Int>, Int) -> Void) {
        let chunks = blockChunks(s)
        parallelFor(chunks) { c in body((s.m * c / chunks)..<(s.m * (c + 1) / chunks), c) }
    }
}
