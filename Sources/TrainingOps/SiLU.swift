// SiLU (swish): silu(x) = x·σ(x), and SwiGLU: h = silu(gate) ⊙ up (Llama's FFN, Shazeer 2020).
//
// silu'(x) = σ(x)·(1 + x·(1 − σ(x))). Nothing is saved beyond the inputs: backward recomputes σ.
// SwiGLU's Float path evaluates σ with Kernels' Vector.fastExp in loops LLVM vectorises (its
// libm calls showed in the trainer's profile: three sigmoids per FFN element per step,
// docs/training.md §Speed); Double keeps libm as the oracle.
import Kernels

/// Elementwise SiLU.
public enum SiLU {
    /// out = silu(x); `out` may alias `input`. Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, count: Int) {
        for i in 0..<count { let x = input[i]; out[i] = x * T.sigmoid(x) }
    }

    /// dX += dY · silu'(x). Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               input: UnsafePointer<T>, count: Int) {
        for i in 0..<count {
            let x = input[i], s = T.sigmoid(x)
            dInput[i] += dOut[i] * s * (1 + x * (1 - s))
        }
    }
}

/// Llama's gated FFN activation h = silu(gate) ⊙ up.
public enum SwiGLU {
    /// out = silu(gate) ⊙ up. Shapes: all (count) (M·F for a block).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, gate: UnsafePointer<T>,
                                              up: UnsafePointer<T>, count: Int) {
        if T.self == Float.self {
            let o = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self)
            let g = UnsafeRawPointer(gate).assumingMemoryBound(to: Float.self)
            let u = UnsafeRawPointer(up).assumingMemoryBound(to: Float.self)
            parallelRows(count, minRowsPerChunk: 1 << 15) { r in swigluFloat(o, g, u, r) }
            return
        }
        parallelRows(count, minRowsPerChunk: 1 << 15) { r in
            for i in r { let g = gate[i]; out[i] = g * T.sigmoid(g) * up[i] }
        }
    }

    /// dGate += dH · up · silu'(gate); dUp += dH · silu(gate). Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dGate: UnsafeMutablePointer<T>, dUp: UnsafeMutablePointer<T>,
                                               dOut: UnsafePointer<T>, gate: UnsafePointer<T>,
                                               up: UnsafePointer<T>, count: Int) {
        if T.self == Float.self {
            let dg = UnsafeMutableRawPointer(dGate).assumingMemoryBound(to: Float.self)
            let du = UnsafeMutableRawPointer(dUp).assumingMemoryBound(to: Float.self)
            let d = UnsafeRawPointer(dOut).assumingMemoryBound(to: Float.self)
            let g = UnsafeRawPointer(gate).assumingMemoryBound(to: Float.self)
            let u = UnsafeRawPointer(up).assumingMemoryBound(to: Float.self)
            parallelRows(count, minRowsPerChunk: 1 << 15) { r in swigluBackwardFloat(dg, du, d, g, u, r) }
            return
        }
        parallelRows(count, minRowsPerChunk: 1 << 15) { r in
            for i in r {
                let g = gate[i], s = T.sigmoid(g), d = dOut[i]
                dUp[i] += d * g * s
                dGate[i] += d * up[i] * s * (1 + g * (1 - s))
            }
        }
    }

    /// σ(x) = 1 / (1 + e^-x) with the fast exp.
    @inline(__always)
    static func fastSigmoid(_ x: Float) -> Float { 1 / (1 + Vector.fastExp(-x)) }

    /// out[i] = silu(gate[i])·up[i] for i in range.
    static func swigluFloat(_ out: UnsafeMutablePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                            _ range: Range<Int>) {
        for i in range { let g = gate[i]; out[i] = g * fastSigmoid(g) * up[i] }
    }

    /// dGate += dH·up·silu'(gate); dUp += dH·silu(gate) for i in range.
    static func swigluBackwardFloat(_ dGate: UnsafeMutablePointer<Float>, _ dUp: UnsafeMutablePointer<Float>,
                                    _ dOut: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                                    _ range: Range<Int>) {
        for i in range {
            let g = gate[i], s = fastSigmoid(g), d = dOut[i]
            dUp[i] += d * g * s
            dGate[i] += d * up[i] * s * (1 + g * (1 - s))
        }
    }
}
