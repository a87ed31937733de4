// The one fast e^x of the project (Float): the decoder's softmax and SwiGLU (Llama) and the
// training ops' SwiGLU and attention softmax (TrainingOps) all call it; Double code keeps libm.
//
// Cephes' expf scheme: x = n·ln 2 + r with n = round(x·log₂e) and |r| ≤ ln 2 / 2 (ln 2 split in
// a high and a low part so r is exact), e^r by a degree-6 polynomial, and 2ⁿ built in the
// exponent bits. n comes from the 1.5·2²³ trick (adding it rounds to an integer held in the low
// mantissa bits), because Swift's Float→Int conversion is not vectorised. Relative error about
// 1e-7 (1-2 ulp) against libm over the clamped range [-87.3, 88.3], where Float's e^x is a normal
// number; outside it the result saturates there instead of going to 0 or ∞ (e^-87.3 ≈ 1.2e-38,
// harmless in a softmax or a logistic function).
//
// Plain scalar code on purpose, inlined into each caller's loop: LLVM vectorises those loops
// (eight lanes with AVX2). Measured against a hand-written SIMD8<Float> version of the same
// polynomial (the decoder's earlier `exp8`), the vectorised scalar loop took 0.44-0.45 ns per
// element against 0.46-0.49 ns, and libm's expf 2.15 ns (docs/kernels.md "Fast exp"). A caller's
// loop must write through one pointer only or provably disjoint ones: when an output may alias an
// input, LLVM's overlap check sends the in-place call down the scalar loop. The two
// copies also rounded differently (p·(r·r) here and in the trainer's copy, (p·r)·r in exp8: 1 ulp
// apart on 63 of 4,096 inputs); the trainer's rounding is kept, so its losses are unchanged.

extension Vector {
    /// e^x, saturating outside [-87.3, 88.3].
    @inlinable @inline(__always)
    public static func fastExp(_ x0: Float) -> Float {
        let x = Swift.min(Swift.max(x0, -87.3), 88.3)
        // t = x·log₂e + 1.5·2²³ rounds to an integer n held in t's low mantissa bits.
        let t = x * 1.442_695_04 + 12_582_912
        let n = t - 12_582_912
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * (r * r) + r + 1
        let scale = Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)   // 2ⁿ
        return y * scale
    }

    /// x[i] = e^x[i] for i in 0..<count.
    public static func fastExp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = fastExp(x[i]) }
    }
}
