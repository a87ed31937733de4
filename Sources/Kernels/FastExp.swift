// FastExp: e^x and the logistic function without libm calls, vectorisable, for the elementwise ops
// whose libm calls showed in the trainer's profile (SwiGLU forward and backward: three
// sigmoids per FFN element per step; docs/training.md §Speed).
//
// Cephes' expf scheme: x = n·ln 2 + r with n = round(x·log₂e) and |r| ≤ ln 2 / 2 (ln 2 split
// in a high and a low part so r is exact), e^r by its degree-6 minimax-style polynomial, and 2ⁿ built
// in the exponent bits. About 1 ulp from expf over the clamped range [-87.3, 88.3], which is
// where Float's e^x is a normal number; outside it the result saturates there instead of
// going to 0 or ∞ (harmless for the logistic function: 1/(1 + e^88.3) ≈ 5e-39).
// Only the Float paths use it; Double (the gradient checks' oracle) keeps libm.

enum FastExp {
    /// e^x. Plain scalar code on purpose: inlined into the loops below, LLVM vectorises it
    /// (8 lanes with AVX2), where Swift's SIMD8 Float→Int conversion stayed a slow generic call.
    @inline(__always)
    static func exp(_ x0: Float) -> Float {
        let x = Swift.min(Swift.max(x0, -87.3), 88.3)
        // t = x·log₂e + 1.5·2²³ rounds to an integer n held in t's low mantissa bits.
        let t = x * 1.442_695_04 + 12_582_912
        let n = t - 12_582_912
        let r = (x - n * 0.693_359_375) + n * 2.121_944_4e-4
        var q: Float = 1.987_569_15e-4
        q = q * r + 1.398_199_95e-3
        q = q * r + 8.333_451_9e-3
        q = q * r + 4.166_579_6e-2
        q = q * r + 1.666_666_55e-1
        q = q * r + 5.000_000_1e-1
        let e = (q * (r * r) + r) + 1
        let scale = Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)   // 2ⁿ
        return e * scale
    }

    /// σ(x) = 1 / (1 + e^-x)
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
}

extension FastExp {
    /// x[i] = e^x[i] for i in 0..<count.
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = exp(x[i]) }
    }

    /// out[i] = silu(gate[i])·up[i] for i in range.
    static func swiglu(_ out: UnsafeMutablePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                       _ range: Range<Int>) {
        for i in range { let g = gate[i]; out[i] = g * sigmoid(g) * up[i] }
    }

    /// dGate += dH·up·silu'(gate); dUp += dH·silu(gate) for i in range.
    static func swigluBackward(_ dGate: UnsafeMutablePointer<Float>, _ dUp: UnsafeMutablePointer<Float>,
                               _ dOut: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                               _ range: Range<Int>) {
        for i in range {
            let g = gate[i], s = sigmoid(g), d = dOut[i]
            dUp[i] += d * g * s
            dGate[i] += d * up[i] * s * (1 + g * (1 - s))
        }
    }
}
