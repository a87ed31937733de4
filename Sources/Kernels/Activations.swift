// SwiGLU's activation for the decoder's MLP, `down(silu(gate(x)) * up(x))`:
// silu(g)·u = g / (1 + e^-g) · u, with e^x from Vector.fastExp (the training ops' SwiGLU,
// TrainingOps/SiLU.swift, has its own backward and calls the same exp).

extension Vector {
    /// gate[i] = silu(gate[i]) · up[i], in place. In place on purpose: with a separate output
    /// that may alias gate, LLVM's overlap check fails for the decoder's in-place call and the
    /// loop runs scalar (7 % of a 512-token prefill instead of about 1 %).
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + fastExp(-g)) * up[i]
        }
    }
}
