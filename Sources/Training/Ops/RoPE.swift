// RoPE (Su et al. 2021) in llama.cpp's NORM mode: rotate ADJACENT pairs (x[2i], x[2i+1]).
//
// llama.cpp's `rotate_pairs` with GGML_ROPE_TYPE_NORMAL reads src[0] and src[1] (n_offset 1), and
// the GGUF converter permutes Llama's Q/K weights so that this matches HF's rotate-half layout.
// So a GGUF Llama (SmolLM2) needs the adjacent-pair form here. Pair i of a head of size D turns by
// θ = pos · base^(−2i/D) (SmolLM2: base 100000). Backward is the rotation by −θ (a rotation's
// inverse is its transpose). Angles are computed in Double so Float and Double runs agree.
//
// Glossary: M tokens, H heads, D head dim.
import Foundation

/// Rotary position embedding over (M, H, D) buffers.
public enum RoPE {
    /// out = R(θ)·x per pair; `out` may alias `input`.
    /// - Parameters:
    ///   - out, input: (M, H, D)
    ///   - positions: (M) the position of each token inside its own sequence
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                              positions: UnsafePointer<Int32>, m: Int, heads: Int, headDim: Int,
                                              base: Double) {
        rotate(out: out, input: input, accumulate: false, sign: 1, positions: positions,
               m: m, heads: heads, headDim: headDim, base: base)
    }

    /// dX (M, H, D) += R(−θ)·dY.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               positions: UnsafePointer<Int32>, m: Int, heads: Int, headDim: Int,
                                               base: Double) {
        rotate(out: dInput, input: dOut, accumulate: true, sign: -1, positions: positions,
               m: m, heads: heads, headDim: headDim, base: base)
    }

    @inline(__always)
    static func rotate<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, accumulate: Bool,
                                       sign: Double, positions: UnsafePointer<Int32>,
                                       m: Int, heads: Int, headDim: Int, base: Double) {
        let half = headDim / 2
        // inverse frequencies base^(−2i/D), shared by every token
        var invFreq = [Double](repeating: 0, count: half)
        for i in 0..<half { invFreq[i] = Foundation.pow(base, -2.0 * Double(i) / Double(headDim)) }
        // cos and sign·sin per position, not per row: a batch's M rows repeat the same T positions
        // (B sequences), so a (max position + 1, D/2) table needs 1/B of the libm calls (they were
        // ~1 % of a step). The values are the ones a per-row computation gives. Positions outside
        // 0..<M (not produced by SequenceBatch) fall back to computing per row.
        var lo = Int32.max, hi = Int32.min
        for t in 0..<m { lo = min(lo, positions[t]); hi = max(hi, positions[t]) }
        let tableRows = m > 0 && lo >= 0 && Int(hi) < m ? Int(hi) + 1 : 0
        var cosTable = [T](repeating: 0, count: tableRows * half), sinTable = [T](repeating: 0, count: tableRows * half)
        for q in 0..<tableRows {
            for i in 0..<half {
                let a = Double(q) * invFreq[i]
                cosTable[q * half + i] = T(Foundation.cos(a)); sinTable[q * half + i] = T(sign * Foundation.sin(a))
            }
        }
        let freq = invFreq
        cosTable.withUnsafeBufferPointer { cosT in
            sinTable.withUnsafeBufferPointer { sinT in
                parallelRows(m, minRowsPerChunk: 32) { rows in
                    var cs = [T](repeating: 0, count: half), sn = [T](repeating: 0, count: half)
                    for t in rows {
                        if tableRows > 0 {
                            let row = Int(positions[t]) * half
                            for i in 0..<half { cs[i] = cosT[row + i]; sn[i] = sinT[row + i] }
                        } else {
                            let p = Double(positions[t])
                            for i in 0..<half {
                                let a = p * freq[i]
                                cs[i] = T(Foundation.cos(a)); sn[i] = T(sign * Foundation.sin(a))
                            }
                        }
                        for h in 0..<heads {
                            let off = (t * heads + h) * headDim
                            for i in 0..<half {
                                let x0 = input[off + 2 * i], x1 = input[off + 2 * i + 1]
                                let y0 = x0 * cs[i] - x1 * sn[i]
                                let y1 = x0 * sn[i] + x1 * cs[i]
                                if accumulate {
                                    out[off + 2 * i] += y0; out[off + 2 * i + 1] += y1
                                } else {
                                    out[off + 2 * i] = y0; out[off + 2 * i + 1] = y1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
