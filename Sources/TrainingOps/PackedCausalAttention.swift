// PackedCausalAttention: multi-head causal self-attention over sequences packed end to end (no
// padding), with an optional dropout mask on the probabilities; SASRec's attention.
//
// Sequence b occupies rows starts[b]..<starts[b+1] of the (P, d) q, k, v and output buffers
// (P packed positions, d = heads · dh). Every position attends to the positions of its own
// sequence at or before it. Unlike CausalAttention (grouped-query heads over a padded batch,
// probabilities recomputed from the saved log-sum-exp), this op keeps each (sequence, head)
// probability matrix for backward: SASRec's sequences are short (≤ 50) and its dropout mask
// applies to those probabilities.
//
// Probability layout: sequence b's block starts at offsets[b], then head h, row t, column j at
// offsets[b] + (h·T + t)·T + j with T = that sequence's length (zero above the diagonal).
// Backward, per query t with A = probabilities and A' = A ∘ mask:
//   dv_j += A'_tj g_t,  dA_tj = (g_t·v_j) ∘ mask_tj,  dS = A ∘ (dA − Σ_j A dA)/√dh,
//   dq_t += dS_tj k_j,  dk_j += dS_tj q_t.
// Both passes run in parallel over sequences (each writes only its own rows).
//
// Glossary: P packed positions, d model width, dh head width, T a sequence's length.

/// Causal multi-head self-attention over packed variable-length sequences.
public enum PackedCausalAttention {
    /// Start of each sequence's probability block (see the layout above); the last element is the total size.
    public static func offsets(starts: [Int], heads: Int) -> [Int] {
        var offsets = [0]
        for b in 0..<(starts.count - 1) {
            let t = starts[b + 1] - starts[b]
            offsets.append(offsets[b] + heads * t * t)
        }
        return offsets
    }

    /// out[P,d] = softmax(q kᵀ/√dh + causal) (∘ mask) · v, per sequence and head.
    /// - Parameters:
    ///   - out: (P, d), overwritten; probs: (offsets.last), overwritten: the softmax before dropout
    ///   - mask: (offsets.last) multipliers 0 or 1/(1−p), or nil for none
    ///   - starts: (B + 1) sequence boundaries; offsets: `offsets(starts:heads:)`
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>,
                                              q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                              mask: UnsafePointer<T>?, starts: [Int], offsets: [Int], heads: Int, d: Int) {
        parallelRows(starts.count - 1, minRowsPerChunk: 1) { sequences in
            for b in sequences {
                forwardOne(out, probs, q, k, v, mask, start: starts[b], length: starts[b + 1] - starts[b],
                           offset: offsets[b], heads: heads, d: d)
            }
        }
    }

    /// Backward of `forward`: dq, dk, dv (P, d) are overwritten.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dQ: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>,
                                               dV: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                               probs: UnsafePointer<T>, mask: UnsafePointer<T>?,
                                               starts: [Int], offsets: [Int], heads: Int, d: Int) {
        parallelRows(starts.count - 1, minRowsPerChunk: 1) { sequences in
            for b in sequences {
                backwardOne(dQ, dK, dV, dOut, q, k, v, probs, mask, start: starts[b], length: starts[b + 1] - starts[b],
                            offset: offsets[b], heads: heads, d: d)
            }
        }
    }

    /// One sequence of `forward`: rows s..<s+n, probability block at `offset`.
    static func forwardOne<T: TrainScalar>(_ ctx: UnsafeMutablePointer<T>, _ probs: UnsafeMutablePointer<T>,
                                           _ q: UnsafePointer<T>, _ k: UnsafePointer<T>, _ v: UnsafePointer<T>,
                                           _ mask: UnsafePointer<T>?, start s: Int, length n: Int, offset: Int,
                                           heads: Int, d: Int) {
        let dh = d / heads
        let scale = 1 / T(dh).squareRoot()
        for h in 0..<heads {
            let c0 = h * dh
            for t in 0..<n {
                let row = probs + offset + (h * n + t) * n
                var maxScore = -T.infinity
                for j in 0...t {
                    var sc: T = 0
                    for c in 0..<dh { sc += q[(s + t) * d + c0 + c] * k[(s + j) * d + c0 + c] }
                    sc *= scale
                    row[j] = sc
                    if sc > maxScore { maxScore = sc }
                }
                var total: T = 0
                for j in 0...t { row[j] = T.exp(row[j] - maxScore); total += row[j] }
                for j in 0...t { row[j] /= total }
                for j in (t + 1)..<max(n, t + 1) { row[j] = 0 }
                let o = ctx + (s + t) * d + c0
                for c in 0..<dh { o[c] = 0 }
                for j in 0...t {
                    let a = mask.map { row[j] * $0[offset + (h * n + t) * n + j] } ?? row[j]
                    if a == 0 { continue }
                    for c in 0..<dh { o[c] += a * v[(s + j) * d + c0 + c] }
                }
            }
        }
    }

    /// One sequence of `backward`.
    static func backwardOne<T: TrainScalar>(_ dq: UnsafeMutablePointer<T>, _ dk: UnsafeMutablePointer<T>,
                                            _ dv: UnsafeMutablePointer<T>, _ dctx: UnsafePointer<T>,
                                            _ q: UnsafePointer<T>, _ k: UnsafePointer<T>, _ v: UnsafePointer<T>,
                                            _ probs: UnsafePointer<T>, _ mask: UnsafePointer<T>?,
                                            start s: Int, length n: Int, offset: Int, heads: Int, d: Int) {
        let dh = d / heads
        let scale = 1 / T(dh).squareRoot()
        for i in (s * d)..<((s + n) * d) { dq[i] = 0; dk[i] = 0; dv[i] = 0 }
        var dA = [T](repeating: 0, count: n)
        for h in 0..<heads {
            let c0 = h * dh
            for t in 0..<n {
                let row = probs + offset + (h * n + t) * n
                let g = dctx + (s + t) * d + c0
                // dA'[j] = g · v_j ; dv_j += A'[j] g ; dA = dA' ∘ mask
                var dot: T = 0
                for j in 0...t {
                    let m = mask.map { $0[offset + (h * n + t) * n + j] } ?? 1
                    let a = row[j] * m
                    var s2: T = 0
                    for c in 0..<dh {
                        s2 += g[c] * v[(s + j) * d + c0 + c]
                        dv[(s + j) * d + c0 + c] += a * g[c]
                    }
                    dA[j] = s2 * m
                    dot += dA[j] * row[j]
                }
                // dS = A ∘ (dA - Σ A dA), then through the scaled dot products.
                for j in 0...t {
                    let dS = row[j] * (dA[j] - dot) * scale
                    if dS == 0 { continue }
                    for c in 0..<dh {
                        dq[(s + t) * d + c0 + c] += dS * k[(s + j) * d + c0 + c]
                        dk[(s + j) * d + c0 + c] += dS * q[(s + t) * d + c0 + c]
                    }
                }
            }
        }
    }
}
