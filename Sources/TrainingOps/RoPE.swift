// RoPE (Su et al. 2021) in either of llama.cpp's layouts (RoPEStyle):
//   .adjacentPairs  NORM: pair i is (x[2i], x[2i+1]). llama.cpp's `rotate_pairs` with
//                   GGML_ROPE_TYPE_NORMAL reads src[0] and src[1], and the GGUF converter permutes
//                   Llama's Q/K weights so that this matches HF's rotate-half layout; a GGUF Llama
//                   (SmolLM2, Llama 3) needs this form.
//   .halves         NEOX: pair i is (x[i], x[i + D/2]), HF's rotate_half on unpermuted rows (Qwen2).
// Pair i of a head of size D turns by θ = pos · freqScale · base^(−2i/D) / factor_i (SmolLM2:
// base 100000, no factors; Llama 3: factors from rope_freqs.weight). Backward is the rotation by
// −θ (a rotation's inverse is its transpose). Angles are computed in Double so Float and Double
// runs agree.
//
// Glossary: M tokens, H heads, D head dim.
import Foundation
import Kernels

/// The frequencies and layout of a model's RoPE; the defaults are plain NORM RoPE.
public struct RoPEParameters: Sendable, Equatable {
    public var base: Double
    public var style: RoPEStyle
    /// (D/2) divisors of each pair's frequency (Llama 3's `rope_freqs.weight`), or nil for none.
    public var freqFactors: [Double]?
    /// Linear scaling's 1/factor (1: none).
    public var freqScale: Double

    public init(base: Double, style: RoPEStyle = .adjacentPairs, freqFactors: [Double]? = nil, freqScale: Double = 1) {
        self.base = base; self.style = style; self.freqFactors = freqFactors; self.freqScale = freqScale
    }

    /// The (D/2) radians per position of each pair.
    func inverseFrequencies(headDim: Int) -> [Double] {
        (0..<headDim / 2).map { i in
            freqScale * Foundation.pow(base, -2.0 * Double(i) / Double(headDim)) / (freqFactors?[i] ?? 1)
        }
    }
}

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
        forward(out: out, input: input, positions: positions, m: m, heads: heads, headDim: headDim,
                rope: RoPEParameters(base: base))
    }

    /// out = R(θ)·x per pair with a model's full RoPE parameters; `out` may alias `input`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                              positions: UnsafePointer<Int32>, m: Int, heads: Int, headDim: Int,
                                              rope: RoPEParameters) {
        rotate(out: out, input: input, accumulate: false, sign: 1, positions: positions,
               m: m, heads: heads, headDim: headDim, rope: rope)
    }

    /// dX (M, H, D) += R(−θ)·dY.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               positions: UnsafePointer<Int32>, m: Int, heads: Int, headDim: Int,
                                               base: Double) {
        backward(dInput: dInput, dOut: dOut, positions: positions, m: m, heads: heads, headDim: headDim,
                 rope: RoPEParameters(base: base))
    }

    /// dX (M, H, D) += R(−θ)·dY with a model's full RoPE parameters.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               positions: UnsafePointer<Int32>, m: Int, heads: Int, headDim: Int,
                                               rope: RoPEParameters) {
        rotate(out: dInput, input: dOut, accumulate: true, sign: -1, positions: positions,
               m: m, heads: heads, headDim: headDim, rope: rope)
    }

    @inline(__always)
    static func rotate<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, accumulate: Bool,
                                       sign: Double, positions: UnsafePointer<Int32>,
                                       m: Int, heads: Int, headDim: Int, rope: RoPEParameters) {
        let half = headDim / 2
        // inverse frequencies, shared by every token
        let invFreq = rope.inverseFrequencies(headDim: headDim)
        // pair i is (first(i), first(i) + step)
        let (firstStride, step) = rope.style == .adjacentPairs ? (2, 1) : (1, half)
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
                                let j0 = off + i * firstStride, j1 = j0 + step
                                let x0 = input[j0], x1 = input[j1]
                                let y0 = x0 * cs[i] - x1 * sn[i]
                                let y1 = x0 * sn[i] + x1 * cs[i]
                                if accumulate {
                                    out[j0] += y0; out[j1] += y1
                                } else {
                                    out[j0] = y0; out[j1] = y1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
