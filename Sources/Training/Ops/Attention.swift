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
// Forward runs in parallel over (sequence, query head); backward over (sequence, KV head), so the
// query heads sharing one KV head accumulate into dK/dV on the same thread and never race.
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
public enum CausalAttention {
    /// - Parameters:
    ///   - out: O, (B·T, H·D), overwritten (zero on padding rows)
    ///   - lse: (B·T, H), overwritten: saved for backward
    ///   - q: (B·T, H·D) after RoPE; k: (B·T, Hkv·D) after RoPE; v: (B·T, Hkv·D)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, lse: UnsafeMutablePointer<T>,
                                              q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                              batch: SequenceBatch, shape: AttentionShape) {
        let H = shape.heads, Hkv = shape.kvHeads, D = shape.headDim, Tp = batch.paddedLength
        let group = H / Hkv
        let qStride = H * D, kvStride = Hkv * D
        let scale = 1 / T(D).squareRoot()
        out.update(repeating: 0, count: batch.tokenCount * qStride)
        lse.update(repeating: 0, count: batch.tokenCount * H)
        parallelFor(batch.batch * H) { task in
            let b = task / H, h = task % H, g = h / group
            let start = batch.starts[b], len = batch.lengths[b]
            if len == 0 { return }
            let s = UnsafeMutablePointer<T>.allocate(capacity: len)
            defer { s.deallocate() }
            let row0 = b * Tp + start
            for i in 0..<len {
                let qi = q + (row0 + i) * qStride + h * D
                var mx = -T.infinity
                for j in 0...i {
                    let kj = k + (row0 + j) * kvStride + g * D
                    let sc = T.dot(qi, kj, count: D) * scale
                    s[j] = sc
                    if sc > mx { mx = sc }
                }
                var sum: T = 0
                for j in 0...i { let e = T.exp(s[j] - mx); s[j] = e; sum += e }
                let inv = 1 / sum
                let oi = out + (row0 + i) * qStride + h * D
                for j in 0...i {
                    let p = s[j] * inv
                    T.axpy(p, v + (row0 + j) * kvStride + g * D, oi, count: D)
                }
                lse[(row0 + i) * H + h] = mx + T.log(sum)
            }
        }
    }

    /// Accumulates dQ (B·T, H·D), dK and dV (B·T, Hkv·D) from dO (B·T, H·D), using the saved
    /// q, k, v, O and lse. Padding rows receive nothing.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dQ: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>,
                                               dV: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                               out: UnsafePointer<T>, lse: UnsafePointer<T>,
                                               batch: SequenceBatch, shape: AttentionShape) {
        let H = shape.heads, Hkv = shape.kvHeads, D = shape.headDim, Tp = batch.paddedLength
        let group = H / Hkv
        let qStride = H * D, kvStride = Hkv * D
        let scale = 1 / T(D).squareRoot()
        parallelFor(batch.batch * Hkv) { task in
            let b = task / Hkv, g = task % Hkv
            let start = batch.starts[b], len = batch.lengths[b]
            if len == 0 { return }
            let row0 = b * Tp + start
            let ds = UnsafeMutablePointer<T>.allocate(capacity: len)
            defer { ds.deallocate() }
            for h in (g * group)..<((g + 1) * group) {
                for i in 0..<len {
                    let r = row0 + i
                    let qi = q + r * qStride + h * D, doi = dOut + r * qStride + h * D
                    let oi = out + r * qStride + h * D
                    let l = lse[r * H + h]
                    let di = T.dot(doi, oi, count: D)
                    for j in 0...i {
                        let kj = k + (row0 + j) * kvStride + g * D
                        let vj = v + (row0 + j) * kvStride + g * D
                        let p = T.exp(T.dot(qi, kj, count: D) * scale - l)
                        ds[j] = p * (T.dot(doi, vj, count: D) - di) * scale
                        T.axpy(p, doi, dV + (row0 + j) * kvStride + g * D, count: D)
                    }
                    let dqi = dQ + r * qStride + h * D
                    for j in 0...i {
                        T.axpy(ds[j], k + (row0 + j) * kvStride + g * D, dqi, count: D)
                        T.axpy(ds[j], qi, dK + (row0 + j) * kvStride + g * D, count: D)
                    }
                }
            }
        }
    }
}
