// Causal scaled dot-product attention of one query row and one head over the keys and
// values in a KV cache (llama2.c forward's attention loop, vectorized):
//     s_j = q · k_j / √D  for j < n (n = position + 1: the causal mask)
//     out = Σ_j softmax(s)_j · v_j
// Grouped-query attention is the caller's choice of which KV head's block it passes
// (query head h reads KV head h / (H / Hkv), as ggml's broadcast and HF repeat_kv do).
//
// `attendBlock` is the fast path used by the forward pass: a block of consecutive query
// rows of one head goes through two f32 products (S = Q·Kᵀ, O = P·V) on the kernels'
// tiled GEMM, with the causal mask applied in the softmax; only the keys up to the
// block's last position are touched, so the waste is the triangle above the diagonal
// block. `attend` (one query, scalar SIMD loops) is the readable reference it is tested against.
import Kernels

enum Attention {
    /// out[D] = softmax(q·Kᵀ·scale) · V over keys [n, D] and values [n, D] (row stride D).
    /// `scores` is scratch with room for n floats.
    @inline(__always)
    static func attend(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                       keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                       n: Int, headDim d: Int, scale: Float, scores: UnsafeMutablePointer<Float>) {
        // 1. scores
        if d % 8 == 0 {
            for j in 0 ..< n {
                let k = keys + j * d
                var acc = SIMD8<Float>()
                var c = 0
                while c < d {
                    let qv = UnsafeRawPointer(q + c).loadUnaligned(as: SIMD8<Float>.self)
                    let kv = UnsafeRawPointer(k + c).loadUnaligned(as: SIMD8<Float>.self)
                    acc.addProduct(qv, kv)
                    c += 8
                }
                scores[j] = acc.sum() * scale
            }
        } else {
            for j in 0 ..< n {
                let k = keys + j * d
                var s: Float = 0
                for c in 0 ..< d { s += q[c] * k[c] }
                s *= scale
                scores[j] = s
            }
        }
        // 2. softmax
        Vector.softmax(scores, count: n)
        // 3. weighted sum of values
        out.update(repeating: 0, count: d)
        if d % 8 == 0 {
            for j in 0 ..< n {
                let p = SIMD8<Float>(repeating: scores[j])
                let v = values + j * d
                var c = 0
                while c < d {
                    var o = UnsafeRawPointer(out + c).loadUnaligned(as: SIMD8<Float>.self)
                    o.addProduct(p, UnsafeRawPointer(v + c).loadUnaligned(as: SIMD8<Float>.self))
                    UnsafeMutableRawPointer(out + c).storeBytes(of: o, as: SIMD8<Float>.self)
                    c += 8
                }
            }
        } else {
            for j in 0 ..< n {
                let p = scores[j]
                let v = values + j * d
                for c in 0 ..< d { out[c] += p * v[c] }
            }
        }
    }

    /// Scratch floats `attendBlock` needs for `rows` query rows over up to `keys` keys.
    static func blockScratchCount(rows: Int, keys: Int, headDim d: Int) -> Int { rows * keys + 2 * rows * d }

    /// For query rows i in 0..<rows at positions firstPosition + i:
    ///     out[i] = softmax_j<=pos_i(q[i]·k_j · scale) · V
    /// q rows have stride `qStride`, out rows `outStride`; keys/values are [n, D] blocks
    /// holding at least firstPosition + rows positions. Runs on the calling thread.
    static func attendBlock(out: UnsafeMutablePointer<Float>, outStride: Int, q: UnsafePointer<Float>, qStride: Int,
                            rows: Int, firstPosition p0: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                            headDim d: Int, scale: Float, scratch: UnsafeMutablePointer<Float>) {
        let n = p0 + rows
        let qBuf = scratch                 // [rows, D]
        let sBuf = scratch + rows * d      // [rows, n]
        let oBuf = sBuf + rows * n         // [rows, D]
        for i in 0 ..< rows { (qBuf + i * d).update(from: q + i * qStride, count: d) }
        MatMul.linear(sBuf, qBuf, keys, m: rows, n: n, k: d, accumulate: false, pool: nil)
        for i in 0 ..< rows {
            let row = sBuf + i * n
            let visible = p0 + i + 1
            Vector.softmax(row, count: visible, scale: scale)
            if visible < n { (row + visible).update(repeating: 0, count: n - visible) }
        }
        MatMul.matmul(oBuf, sBuf, values, m: rows, n: d, k: n, accumulate: false, pool: nil)
        for i in 0 ..< rows { (out + i * outStride).update(from: oBuf + i * d, count: d) }
    }
}
