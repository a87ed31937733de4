// Causal scaled dot-product attention of one query row and one head over the keys and
// values in a KV cache (llama2.c forward's attention loop, vectorized):
//     s_j = q · k_j / √D  for j < n (n = position + 1: the causal mask)
//     out = Σ_j softmax(s)_j · v_j
// Grouped-query attention is the caller's choice of which KV head's block it passes
// (query head h reads KV head h / (H / Hkv), as ggml's broadcast and HF repeat_kv do).

enum Attention {
    /// out[D] = softmax(q·Kᵀ·scale) · V over keys [n, D] and values [n, D] (row stride D).
    /// `scores` is scratch with room for n floats.
    @inline(__always)
    static func attend(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                       keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                       n: Int, headDim d: Int, scale: Float, scores: UnsafeMutablePointer<Float>) {
        // 1. scores
        var maxScore = -Float.infinity
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
                let s = acc.sum() * scale
                scores[j] = s
                maxScore = max(maxScore, s)
            }
        } else {
            for j in 0 ..< n {
                let k = keys + j * d
                var s: Float = 0
                for c in 0 ..< d { s += q[c] * k[c] }
                s *= scale
                scores[j] = s
                maxScore = max(maxScore, s)
            }
        }
        // 2. softmax numerators and their sum
        var sum: Float = 0
        var j = 0
        let m8 = SIMD8<Float>(repeating: maxScore)
        var sum8 = SIMD8<Float>()
        while j + 8 <= n {
            let e = VectorMath.exp8(UnsafeRawPointer(scores + j).loadUnaligned(as: SIMD8<Float>.self) - m8)
            UnsafeMutableRawPointer(scores + j).storeBytes(of: e, as: SIMD8<Float>.self)
            sum8 += e
            j += 8
        }
        sum = sum8.sum()
        while j < n {
            let e = VectorMath.expScalar(scores[j] - maxScore)
            scores[j] = e
            sum += e
            j += 1
        }
        let inv = 1 / sum
        // 3. weighted sum of values
        out.update(repeating: 0, count: d)
        if d % 8 == 0 {
            for j in 0 ..< n {
                let p = SIMD8<Float>(repeating: scores[j] * inv)
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
                let p = scores[j] * inv
                let v = values + j * d
                for c in 0 ..< d { out[c] += p * v[c] }
            }
        }
    }
}
