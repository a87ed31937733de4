// Activation functions of the Llama MLP (SwiGLU): silu(x) = x · sigmoid(x) = x / (1 + e^-x),
// and the fused gate form out = silu(gate) · up used by `down(silu(gate(x)) * up(x))`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Vector {
    /// out[i] = x[i] / (1 + exp(-x[i]))  (`out` may alias x)
    public static func silu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            out[i] = v / (1 + expf(-v))
        }
    }

    /// out[i] = silu(gate[i]) · up[i]  (`out` may alias gate or up)
    public static func siluMul(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                               into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            out[i] = g / (1 + expf(-g)) * up[i]
        }
    }
}
