// The element-wise pieces of a Llama block: RMSNorm, SwiGLU's SiLU·up, and a SIMD
// exp for softmax and SiLU. Scalar libm exp would cost about as much as the attention
// dot products themselves (tens of millions of calls per 512-token prefill).

enum VectorMath {
    /// out[i] = x[i] / sqrt(mean(x²) + eps) · w[i] for one row of `n` values.
    /// The sum of squares runs in Double, as ggml's rms_norm does (ggml_float).
    @inline(__always)
    static func rmsNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                        n: Int, eps: Float) {
        var sum: Double = 0
        var i = 0
        while i + 8 <= n {
            let v = SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            sum += (v * v).sum()
            i += 8
        }
        while i < n { sum += Double(x[i]) * Double(x[i]); i += 1 }
        let scale = Float(1 / (sum / Double(n) + Double(eps)).squareRoot())
        for j in 0 ..< n { out[j] = x[j] * scale * w[j] }
    }

    /// g[i] = silu(g[i]) · u[i] = g / (1 + e^(−g)) · u, for `n` values.
    @inline(__always)
    static func swiGLU(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, n: Int) {
        var i = 0
        while i + 8 <= n {
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let uv = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD8<Float>.self)
            let r = gv / (1 + exp8(-gv)) * uv
            UnsafeMutableRawPointer(g + i).storeBytes(of: r, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            g[i] = g[i] / (1 + expScalar(-g[i])) * u[i]
            i += 1
        }
    }

    /// e^x for 8 lanes: Cephes expf (range reduction by ln 2 in two parts, degree-6
    /// polynomial), relative error ~2e-7 over the float range; saturates outside ±88.
    /// n = round(x·log2 e) comes from the 1.5·2²³ trick (adding it rounds to an integer
    /// held in the low mantissa bits), because Swift's generic SIMD float→int
    /// conversion is not vectorized and cost more than the whole polynomial.
    @inline(__always)
    static func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Masks, not `clamped(lowerBound:upperBound:)`: its generic pointwiseMin/Max are not
        // inlined here and cost ~3 % of a prefill as calls (perf, 2026-12-03).
        let low = SIMD8<Float>(repeating: -87.3), high = SIMD8<Float>(repeating: 88.3)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        let magic = SIMD8<Float>(repeating: 12_582_912)           // 1.5 · 2²³
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic                                     // round(x · log2 e)
        var r = clamped - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let bits = (integer &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// Scalar companion of exp8 (tails of loops).
    @inline(__always)
    static func expScalar(_ x: Float) -> Float {
        exp8(SIMD8(repeating: x))[0]
    }
}
