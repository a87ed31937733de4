// Rotary position embedding. Within each head, pair i of the first n = `ropeDimensionCount`
// values rotates by
//     θ_i(p) = p · freqScale · base^(−2i / n) / freqFactor_i
// where the pair is (2i, 2i+1) in llama.cpp's NORM layout (LLAMA_ROPE_TYPE_NORM, Llama:
// right for GGUF files because convert_hf_to_gguf.py permuted the W_q/W_k rows,
// RoPEPermutation.swift) and (i, i + n/2) in its NEOX layout (Qwen2, Hugging Face's
// `rotate_half` on unpermuted rows). Values past n are left alone in both. freqFactor_i comes from `rope_freqs.weight`
// (Llama-3 scaling) and is 1 otherwise; freqScale is linear scaling's 1/factor.
// Angles are computed in Double: the float64 reference agrees to ~1e-7 that way.
import Foundation

/// Per-pair inverse frequencies of a model, shared by all passes.
struct RoPETable: Sendable {
    /// Rotated values per head (even).
    let dimensionCount: Int
    /// Which values form pair i.
    let style: RoPEStyle
    /// [dimensionCount / 2] radians per position.
    let inverseFrequencies: [Double]

    init(config: LlamaConfig, freqFactors: [Float]?) throws {
        dimensionCount = config.ropeDimensionCount
        style = config.ropeStyle
        let half = dimensionCount / 2
        if let freqFactors {
            guard freqFactors.count == half, freqFactors.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw LlamaError.invalidMetadata(key: LlamaTensorName.ropeFreqs, reason: "needs \(half) positive factors")
            }
        }
        let base = Double(config.ropeFreqBase), scale = Double(config.ropeFreqScale)
        inverseFrequencies = (0 ..< half).map { i in
            let factor = freqFactors.map { Double($0[i]) } ?? 1
            return scale * pow(base, -2.0 * Double(i) / Double(config.ropeDimensionCount)) / factor
        }
    }

    /// Fills cos/sin tables [rows, dimensionCount/2] for the given positions.
    func angles(positions: [Int], cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let half = dimensionCount / 2
        for (r, p) in positions.enumerated() {
            for i in 0 ..< half {
                let theta = Double(p) * inverseFrequencies[i]
                cos[r * half + i] = Float(Foundation.cos(theta))
                sin[r * half + i] = Float(Foundation.sin(theta))
            }
        }
    }

    /// Rotates `heads` heads of width `headDim` in place in each of `rows` rows of `x`
    /// ([rows, stride]), row r using angle row r of the tables.
    func rotate(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>, stride: Int, heads: Int, headDim: Int,
                cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = dimensionCount / 2
        // Pair i is (v[first(i)], v[first(i) + step]).
        let (firstStride, step) = style == .adjacentPairs ? (2, 1) : (1, half)
        for r in rows {
            let c = cos + r * half, s = sin + r * half
            for h in 0 ..< heads {
                let v = x + r * stride + h * headDim
                for i in 0 ..< half {
                    let j0 = i * firstStride, j1 = j0 + step
                    let x0 = v[j0], x1 = v[j1]
                    v[j0] = x0 * c[i] - x1 * s[i]
                    v[j1] = x0 * s[i] + x1 * c[i]
                }
            }
        }
    }
}
