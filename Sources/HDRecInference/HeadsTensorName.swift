// The tensors of heads.safetensors, HDRec's trained heads for inference (paper §3.2-3.3;
// shapes from docs/public-code.md §3); the layers are Projector.swift and
// ItemProjectionLayer.swift, the whole set HDRecHeads.swift:
//   Projector  Linear(128 → H_p, bias) → SiLU → Linear(H_p → C, bias)    (Eq. 7)
//   IPL        Linear(C → H_i, bias) → [dropout, training only] → SiLU → Linear(H_i → I, no bias)
//              or, factorized: (h·Wpᵀ + bp)·Eᵀ + b over a frozen item table E [I, K]
//   optional   γ of the SASRec-anchored ID pass (z_id = SASRec's scores + γ·IPL(h_id))
//   [SEQ]/[ALIGN] input rows of width C (the final rows: base + trained delta)
//   optional trained RMSNorm weights of the decoder.
// Weights use PyTorch's nn.Linear layout, W = [out, in]. Names: docs/bundle.md.

/// The tensor names of heads.safetensors (stable: trainers elsewhere export to them).
public enum HeadsTensorName {
    public static let projectorIn = "projector.0.weight"      // [H_p, 128]
    public static let projectorInBias = "projector.0.bias"    // [H_p]
    public static let projectorOut = "projector.2.weight"     // [C, H_p]
    public static let projectorOutBias = "projector.2.bias"   // [C]
    public static let iplIn = "ipl.0.weight"                  // [H_i, C]
    public static let iplInBias = "ipl.0.bias"                // [H_i]
    public static let iplOut = "ipl.2.weight"                 // [I, H_i]
    // The factorized IPL (instead of the three above): K is the item table's width.
    public static let iplProjection = "ipl.proj.weight"       // [K, C]
    public static let iplProjectionBias = "ipl.proj.bias"     // [K]
    public static let iplItems = "ipl.items"                  // [I, K], frozen in training
    public static let iplItemBias = "ipl.item_bias"           // [I]
    /// γ of the SASRec-anchored ID pass; its presence makes the ID pass anchored.
    public static let idGate = "id.gate"                      // [1]
    public static let seqToken = "tokens.seq"                 // [C]
    public static let alignToken = "tokens.align"             // [C]
    /// Trained RMSNorm weights use `norms.` + the GGUF tensor name, e.g.
    /// `norms.blk.0.attn_norm.weight`, `norms.blk.0.ffn_norm.weight`, `norms.output_norm.weight`; each [C].
    public static let normPrefix = "norms."
}

/// A named f32 tensor (row-major, last dimension contiguous).
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// Throws, naming the tensor, when `v` does not hold `n` values (the product of `shape`).
func checkCount(_ name: String, _ v: [Float], _ n: Int, _ shape: [Int]) throws {
    guard v.count == n else {
        throw HDRecInferenceError.tensorShape(file: "heads", name: name, expected: shape, found: [v.count])
    }
}
