// SwiGLU's activation for the decoder's MLP, `down(silu(gate(x)) * up(x))`:
// silu(g)·u = g / (1 + e^-g) · u, with e^x from Vector.fastExp (the training ops' SwiGLU,
// TrainingOps/SiLU.swift, has its own backward and calls the same exp).

extension Vector {
    /// out[i] = silu(gate[i]) · up[i]  (`out` may alias gate or up)
    public static func siluMul(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                               into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            out[i] = g / (1 + fastExp(-g)) * up[i]
        }
    }
}
