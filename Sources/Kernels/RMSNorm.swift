// Root-mean-square normalization of one row (Llama's RMSNorm, Zhang & Sennrich 2019):
//     out[i] = x[i] / sqrt(mean(x²) + eps) · weight[i]
// The sum of squares is accumulated in Double per SIMD lane group, as ggml's
// rms_norm does (ggml_float), so long rows do not lose precision.

extension Vector {
    /// out = x / sqrt(mean(x²) + eps) · weight; `weight` nil means all ones. `out` may alias x.
    /// Returns the reciprocal RMS (1 / sqrt(mean(x²) + eps)), which backward passes need.
    @discardableResult
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, eps: Float,
                               into out: UnsafeMutablePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return 0 }
        var total: Double = 0
        var i = 0
        while i + 8 <= count {
            // Float partial sums over at most 8 values, then Double across blocks.
            let v = x.load8(i)
            total += Double((v * v).sum())
            i += 8
        }
        while i < count { total += Double(x[i]) * Double(x[i]); i += 1 }
        let inv = Float(1.0 / (total / Double(count) + Double(eps)).squareRoot())
        let s = SIMD8<Float>(repeating: inv)
        i = 0
        if let weight {
            while i + 8 <= count { out.store8(x.load8(i) * s * weight.load8(i), i); i += 8 }
            while i < count { out[i] = x[i] * inv * weight[i]; i += 1 }
        } else {
            while i + 8 <= count { out.store8(x.load8(i) * s, i); i += 8 }
            while i < count { out[i] = x[i] * inv; i += 1 }
        }
        return inv
    }
}
