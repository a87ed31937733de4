// CausalAttention: softmax(q·kᵀ/√D + causal mask)·v with grouped-query heads, forward + backward.
//
// Vaswani et al. 2017; GQA (Ainslie et al. 2023): query head h reads KV head h / (H / Hkv)
// (SmolLM2: H = 9, Hkv = 3, D = 64). Queries attend to keys of the same sequence at rows
// start ... i (SequenceBatch).
//
// Memory: instead of the (T × T) probability matrix per head, forward saves only the row
// log-sum-exp lse_i (H floats per token), and backward recomputes P_ij = exp(s_ij − lse_i), as
// FlashAttention does. docs/training.md compares the two. Backward, per query i:
//   dP_ij = dO_i·v_j,  D_i = dO_i·O_i,  dS_ij = P_ij (dP_ij − D_i),
//   dQ_i += dS_ij k_j /√D,  dK_j += dS_ij q_i /√D,  dV_j += P_ij dO_i.
// Both passes run in parallel over (sequence, KV head), so the query heads sharing one KV head
// accumulate into dK/dV on the same thread and never race. Within a task the rows are copied to
// dense per-head buffers and processed in blocks of queries with small GEMMs (see below); the
// scalar per-(i, j) loop this replaced cost several times more at T = 160.
//
// Glossary: B sequences, T padded rows per sequence, H query heads, Hkv KV heads, D head dim.

/// The head geometry of one attention layer.
public struct AttentionShape: Sendable, Equatable {
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public init(heads: Int, kvHeads: Int, headDim: Int) {
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
    }
}

/// Causal grouped-query self-attention over a padded batch of sequences.
///
/// Both passes work per (sequence, KV head) on contiguous copies of that head's rows, one block
/// of `rowBlock` queries at a time, so every product is a small GEMM (T.gemm hooks: the Kernels
/// module's tiled kernels for Float, the naive loops for Double) instead of one dot per (i, j):
///   S = Q_blk·K[0..<r1]ᵀ   (blk × r1),   P = causal softmax(S/√D),   O_blk = P·V[0..<r1]
/// Queries of block [r0, r1) only see keys 0..<r1, so the causal triangle is skipped block-wise.
public enum CausalAttention {
    /// Query rows per block: bounds the (block × T) score scratch and the skipped upper triangle.
    public static let defaultRowBlock = 64

    /// Copies rows `row0 ..< row0 + len` of head `head` (width D, row stride `stride`) into a dense (len, D) buffer.
    @inline(__always)
    static func gather<T: TrainScalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, row0: Int, len: Int,
                                       stride: Int, head: Int, d: Int) {
        for i in 0..<len { (dst + i * d).update(from: src + (row0 + i) * stride + head * d, count: d) }
    }

    /// Adds a dense (len, D) buffer into head `head`'s rows of `dst`.
    @inline(__always)
    static func scatterAdd<T: TrainScalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, row0: Int, len: Int,
                                           stride: Int, head: Int, d: Int) {
        for i in 0..<len {
            let o = dst + (row0 + i) * stride + head * d, x = src + i * d
            for j in 0..<d { o[j] += x[j] }
        }
    }

    /// - Parameters:
    ///   - out: O, (B·T, H·D), overwritten (zero on padding rows)
    ///   - lse: (B·T, H), overwritten: saved for backward
    ///   - q: (B·T, H·D) after RoPE; k: (B·T, Hkv·D) after RoPE; v: (B·T, Hkv·D)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, lse: UnsafeMutablePointer<T>,
                                              q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                              batch: SequenceBatch, shape: AttentionShape, rowBlock: Int = defaultRowBlock) {
        let H = shape.heads, Hkv = shape.kvHeads, D = shape.headDim, Tp = batch.paddedLength
        let group = H / Hkv
        let qStride = H * D, kvStride = Hkv * D
        let scale = 1 / T(D).squareRoot()
        let block = max(1, rowBlock)
        out.update(repeating: 0, count: batch.tokenCount * qStride)
        lse.update(repeating: 0, count: batch.tokenCount * H)
        parallelFor(batch.batch * Hkv) { task in
            let b = task / Hkv, g = task % Hkv
            let start = batch.starts[b], len = batch.lengths[b]
            if len == 0 { return }
            let row0 = b * Tp + start
            let bs = min(block, len)
            // kg, vg, qh, oh: (len, D); s: (bs, len)
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: 4 * len * D + bs * len)
            defer { scratch.deallocate() }
            let kg = scratch, vg = kg + len * D, qh = vg + len * D, oh = qh + len * D, s = oh + len * D
            gather(kg, k, row0: row0, len: len, stride: kvStride, head: g, d: D)
            gather(vg, v, row0: row0, len: len, stride: kvStride, head: g, d: D)
            for h in (g * group)..<((g + 1) * group) {
                gather(qh, q, row0: row0, len: len, stride: qStride, head: h, d: D)
                var r0 = 0
                while r0 < len {
                    let r1 = min(len, r0 + block), rows = r1 - r0
                    T.gemmLinear(s, qh + r0 * D, kg, m: rows, n: r1, k: D, accumulate: false)
                    for i in 0..<rows {
                        let si = s + i * r1, last = r0 + i   // keys 0...last
                        var mx = -T.infinity
                        for j in 0...last { let x = si[j] * scale; si[j] = x; if x > mx { mx = x } }
                        for j in 0...last { si[j] -= mx }
                        T.expInPlace(si, count: last + 1)
                        var sum: T = 0
                        for j in 0...last { sum += si[j] }
                        let inv = 1 / sum
                        for j in 0...last { si[j] *= inv }
                        for j in (last + 1)..<r1 { si[j] = 0 }
                        lse[(row0 + r0 + i) * H + h] = mx + T.log(sum)
                    }
                    T.gemm(oh + r0 * D, s, vg, m: rows, n: D, k: r1, accumulate: false)
                    r0 = r1
                }
                for i in 0..<len { (out + (row0 + i) * qStride + h * D).update(from: oh + i * D, count: D) }
            }
        }
    }

    /// Accumulates dQ (B·T, H·D), dK and dV (B·T, Hkv·D) from dO (B·T, H·D), using the saved
    /// q, k, v, O and lse. Padding rows receive nothing.
    ///
    /// Per block, with P recomputed from lse:  dP = dO_blk·V[0..<r1]ᵀ,  Dᵢ = dOᵢ·Oᵢ,
    /// dS = P ∘ (dP − D)/√D,  dQ_blk += dS·K,  dK[0..<r1] += dSᵀ·Q_blk,  dV[0..<r1] += Pᵀ·dO_blk.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dQ: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>,
                                               dV: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                               out: UnsafePointer<T>, lse: UnsafePointer<T>,
                                               batch: SequenceBatch, shape: AttentionShape, rowBlock: Int = defaultRowBlock) {
        let H = shape.heads, Hkv = shape.kvHeads, D = shape.headDim, Tp = batch.paddedLength
        let group = H / Hkv
        let qStride = H * D, kvStride = Hkv * D
        let scale = 1 / T(D).squareRoot()
        let block = max(1, rowBlock)
        parallelFor(batch.batch * Hkv) { task in
            let b = task / Hkv, g = task % Hkv
            let start = batch.starts[b], len = batch.lengths[b]
            if len == 0 { return }
            let row0 = b * Tp + start
            let bs = min(block, len)
            // kg, vg, dkg, dvg, qh, doh, dqh: (len, D); p, dp: (bs, len); di: (bs)
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: 7 * len * D + 2 * bs * len + bs)
            defer { scratch.deallocate() }
            let kg = scratch, vg = kg + len * D, dkg = vg + len * D, dvg = dkg + len * D
            let qh = dvg + len * D, doh = qh + len * D, dqh = doh + len * D
            let p = dqh + len * D, dp = p + bs * len, di = dp + bs * len
            gather(kg, k, row0: row0, len: len, stride: kvStride, head: g, d: D)
            gather(vg, v, row0: row0, len: len, stride: kvStride, head: g, d: D)
            dkg.update(repeating: 0, count: 2 * len * D)   // dkg and dvg
            for h in (g * group)..<((g + 1) * group) {
                gather(qh, q, row0: row0, len: len, stride: qStride, head: h, d: D)
                gather(doh, dOut, row0: row0, len: len, stride: qStride, head: h, d: D)
                var r0 = 0
                while r0 < len {
                    let r1 = min(len, r0 + block), rows = r1 - r0
                    T.gemmLinear(p, qh + r0 * D, kg, m: rows, n: r1, k: D, accumulate: false)
                    T.gemmLinear(dp, doh + r0 * D, vg, m: rows, n: r1, k: D, accumulate: false)
                    for i in 0..<rows {
                        let r = row0 + r0 + i
                        di[i] = T.dot(dOut + r * qStride + h * D, out + r * qStride + h * D, count: D)
                        let l = lse[r * H + h], pi = p + i * r1, dpi = dp + i * r1, last = r0 + i
                        for j in 0...last { pi[j] = pi[j] * scale - l }
                        T.expInPlace(pi, count: last + 1)
                        let dii = di[i]
                        for j in 0...last { dpi[j] = pi[j] * (dpi[j] - dii) * scale }   // dS
                        for j in (last + 1)..<r1 { pi[j] = 0; dpi[j] = 0 }
                    }
                    // dQ rows of this block are written once: overwrite.
                    T.gemm(dqh + r0 * D, dp, kg, m: rows, n: D, k: r1, accumulate: false)
                    T.gemmTransA(dkg, dp, qh + r0 * D, m: r1, n: D, k: rows, accumulate: true)
                    T.gemmTransA(dvg, p, doh + r0 * D, m: r1, n: D, k: rows, accumulate: true)
                    r0 = r1
                }
                scatterAdd(dQ, dqh, row0: row0, len: len, stride: qStride, head: h, d: D)
            }
            scatterAdd(dK, dkg, row0: row0, len: len, stride: kvStride, head: g, d: D)
            scatterAdd(dV, dvg, row0: row0, len: len, stride: kvStride, head: g, d: D)
        }
    }
}
