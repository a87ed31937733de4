// HDRec's trained heads for inference (paper §3.2-3.3; shapes from
// reference-implementation §3), stored in heads.safetensors:
//   Projector  Linear(128 → H_p, bias) → SiLU → Linear(H_p → C, bias)    (Eq. 7)
//   IPL        Linear(C → H_i, bias) → [dropout, training only] → SiLU → Linear(H_i → I, no bias)
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

/// Projector of Eq. 7: SASRec row [D] → decoder input row [C].
public struct Projector: Sendable, Equatable {
    public let inputWidth: Int, hidden: Int, outputWidth: Int
    let w0: [Float], b0: [Float], w2: [Float], b2: [Float]

    /// - Parameters: w0 [hidden, inputWidth], b0 [hidden], w2 [outputWidth, hidden], b2 [outputWidth].
    public init(w0: [Float], b0: [Float], w2: [Float], b2: [Float], inputWidth: Int, hidden: Int, outputWidth: Int) throws {
        try checkCount(HeadsTensorName.projectorIn, w0, hidden * inputWidth, [hidden, inputWidth])
        try checkCount(HeadsTensorName.projectorInBias, b0, hidden, [hidden])
        try checkCount(HeadsTensorName.projectorOut, w2, outputWidth * hidden, [outputWidth, hidden])
        try checkCount(HeadsTensorName.projectorOutBias, b2, outputWidth, [outputWidth])
        (self.w0, self.b0, self.w2, self.b2) = (w0, b0, w2, b2)
        (self.inputWidth, self.hidden, self.outputWidth) = (inputWidth, hidden, outputWidth)
    }

    /// x [rows, inputWidth] → [rows, outputWidth].
    public func callAsFunction(_ x: [Float], rows: Int) -> [Float] {
        var h = Dense.linear(x, rows: rows, weight: w0, bias: b0, out: hidden, in: inputWidth)
        Dense.silu(&h)
        return Dense.linear(h, rows: rows, weight: w2, bias: b2, out: outputWidth, in: hidden)
    }
}

/// The item projection layer shared by both branches: hidden state [C] → item logits [I].
public struct ItemProjectionLayer: Sendable, Equatable {
    public let inputWidth: Int, hidden: Int, itemCount: Int
    let w0: [Float], b0: [Float], w2: [Float]

    /// - Parameters: w0 [hidden, inputWidth], b0 [hidden], w2 [itemCount, hidden].
    public init(w0: [Float], b0: [Float], w2: [Float], inputWidth: Int, hidden: Int, itemCount: Int) throws {
        try checkCount(HeadsTensorName.iplIn, w0, hidden * inputWidth, [hidden, inputWidth])
        try checkCount(HeadsTensorName.iplInBias, b0, hidden, [hidden])
        try checkCount(HeadsTensorName.iplOut, w2, itemCount * hidden, [itemCount, hidden])
        (self.w0, self.b0, self.w2) = (w0, b0, w2)
        (self.inputWidth, self.hidden, self.itemCount) = (inputWidth, hidden, itemCount)
    }

    /// h [rows, inputWidth] → logits [rows, itemCount] (eval mode: no dropout).
    public func callAsFunction(_ h: [Float], rows: Int) -> [Float] {
        var a = Dense.linear(h, rows: rows, weight: w0, bias: b0, out: hidden, in: inputWidth)
        Dense.silu(&a)
        return Dense.linear(a, rows: rows, weight: w2, bias: nil, out: itemCount, in: hidden)
    }
}

private func checkCount(_ name: String, _ v: [Float], _ n: Int, _ shape: [Int]) throws {
    guard v.count == n else {
        throw RecommenderError.tensorShape(file: "heads", name: name, expected: shape, found: [v.count])
    }
}
