// Root-mean-square normalization of one row (Llama's RMSNorm, Zhang & Sennrich 2019):
//     out[i] = x[i] / sqrt(mean(x²) + eps) · weight[i]
// The decoder's Float RMSNorm (Llama/Forward.swift). The squares are summed in Double, eight
// lanes at a time, as ggml's rms_norm does (ggml_float), so long rows do not lose precision. The
// trainer's RMSNorm (TrainingOps/RMSNorm.swift, forward and backward) is one generic body whose
// Float instantiation still sums in Float; see there why it does not call this one yet.

extension Vector {
    /// out = x / sqrt(mean(x²) + eps) · weight; `weight` nil means all ones. `out` may alias x.
    /// Returns the reciprocal RMS (1 / sqrt(mean(x²) + eps)), which backward passes need.
    @discardableResult
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, eps: Float,
                               into out: UnsafeMutablePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return 0 }
        var sum: Double = 0
        var i = 0
        while i + 8 <= count {
            let v = SIMD8<Double>(x.load8(i))
            sum += (v * v).sum()
            i += 8
        }
        while i < count { sum += Double(x[i]) * Double(x[i]); i += 1 }
        let inv = Float(1 / (sum / Double(count) + Double(eps)).squareRoot())
        if let weight {
            for j in 0..<count { out[j] = x[j] * inv * weight[j] }
        } else {
            for j in 0..<count { out[j] = x[j] * inv }
        }
        return inv
    }
}
