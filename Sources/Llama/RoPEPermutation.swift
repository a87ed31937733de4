// The row permutation convert_hf_to_gguf.py applies to Llama W_q and W_k so that
// llama.cpp can rotate adjacent pairs (LLAMA_ROPE_TYPE_NORM) instead of Hugging Face's
// (i, i + D/2) pairs (`rotate_half`):
//
//   def permute(w, n_head, n_head_kv):          # n_head_kv replaces n_head for W_k
//       return w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape)
//
// so within each head of D rows, GGUF row 2i + h is Hugging Face row h·D/2 + i.
// A LoRA delta ΔW = B·A on q or k must get the same row permutation, which lands on
// B alone (P·B·A): convert_lora_to_gguf.py permutes lora_B only. Without it the deltas
// are silently scrambled. Architectures with NEOX rope (Qwen2: RoPEStyle.halves) are not
// permuted by the converter, so neither is their LoRA B.

public enum RoPEPermutation {
    /// Hugging Face row order -> GGUF row order, for a row-major [rows, cols] matrix whose
    /// rows are `heads` blocks of `rows/heads` (the head width).
    public static func toGGUF(_ m: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        apply(m, rows: rows, cols: cols, heads: heads, forward: true)
    }

    /// GGUF row order -> Hugging Face row order (the inverse of ``toGGUF``).
    public static func toHF(_ m: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        apply(m, rows: rows, cols: cols, heads: heads, forward: false)
    }

    /// Heads whose rows the permutation of `target` runs over (H for q, Hkv for k), or nil
    /// when the target is not permuted (every target of a model with NEOX rope).
    public static func heads(for target: LoRATarget, config: LlamaConfig) -> Int? {
        guard config.ropeStyle == .adjacentPairs else { return nil }
        switch target {
        case .q: return config.headCount
        case .k: return config.kvHeadCount
        default: return nil
        }
    }

    private static func apply(_ m: [Float], rows: Int, cols: Int, heads: Int, forward: Bool) -> [Float] {
        precondition(m.count == rows * cols && heads > 0 && rows % (2 * heads) == 0, "RoPE permutation shape")
        let d = rows / heads, half = d / 2
        var out = [Float](repeating: 0, count: m.count)
        for h in 0 ..< heads {
            for i in 0 ..< half {
                for part in 0 ..< 2 {
                    let gguf = h * d + 2 * i + part
                    let hf = h * d + part * half + i
                    let (dst, src) = forward ? (gguf, hf) : (hf, gguf)
                    for c in 0 ..< cols { out[dst * cols + c] = m[src * cols + c] }
                }
            }
        }
        return out
    }
}
