// HDRec's trained heads for inference (paper §3.2-3.3; shapes from
// docs/public-code.md §3), stored in heads.safetensors:
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

/// The two forms of the item projection layer (`dimensions.ipl_form`).
public enum IPLForm: String, Sendable, Codable, CaseIterable {
    /// The paper's Linear(C → H_i) → SiLU → Linear(H_i → I).
    case mlp
    /// z = (h·Wpᵀ + bp)·Eᵀ + b: the head points into a frozen item space E, so an item never
    /// seen as a target still scores through its row of E.
    case factorized
}

/// The item projection layer shared by both branches: hidden state [C] → item logits [I].
public struct ItemProjectionLayer: Sendable, Equatable {
    /// C, I, and the width between them: H_i (MLP) or K, the item table's width (factorized).
    public let inputWidth: Int, hidden: Int, itemCount: Int
    let weights: Weights

    /// The weights of either form; callers see only `callAsFunction`.
    enum Weights: Sendable, Equatable {
        /// w0 [H_i, C], b0 [H_i], w2 [I, H_i]
        case mlp(w0: [Float], b0: [Float], w2: [Float])
        /// projection [K, C], projectionBias [K], items [I, K], itemBias [I]
        case factorized(projection: [Float], projectionBias: [Float], items: [Float], itemBias: [Float])
    }

    public var form: IPLForm {
        switch weights { case .mlp: return .mlp; case .factorized: return .factorized }
    }

    /// The factorized form's frozen item table E [I, K]; nil for the MLP form.
    public var itemTable: [Float]? {
        if case let .factorized(_, _, items, _) = weights { return items }
        return nil
    }

    /// The MLP form. - Parameters: w0 [hidden, inputWidth], b0 [hidden], w2 [itemCount, hidden].
    public init(w0: [Float], b0: [Float], w2: [Float], inputWidth: Int, hidden: Int, itemCount: Int) throws {
        try checkCount(HeadsTensorName.iplIn, w0, hidden * inputWidth, [hidden, inputWidth])
        try checkCount(HeadsTensorName.iplInBias, b0, hidden, [hidden])
        try checkCount(HeadsTensorName.iplOut, w2, itemCount * hidden, [itemCount, hidden])
        weights = .mlp(w0: w0, b0: b0, w2: w2)
        (self.inputWidth, self.hidden, self.itemCount) = (inputWidth, hidden, itemCount)
    }

    /// The factorized form. - Parameters: projection [width, inputWidth], projectionBias [width],
    /// items [itemCount, width], itemBias [itemCount].
    public init(projection: [Float], projectionBias: [Float], items: [Float], itemBias: [Float],
                inputWidth: Int, width: Int, itemCount: Int) throws {
        try checkCount(HeadsTensorName.iplProjection, projection, width * inputWidth, [width, inputWidth])
        try checkCount(HeadsTensorName.iplProjectionBias, projectionBias, width, [width])
        try checkCount(HeadsTensorName.iplItems, items, itemCount * width, [itemCount, width])
        try checkCount(HeadsTensorName.iplItemBias, itemBias, itemCount, [itemCount])
        weights = .factorized(projection: projection, projectionBias: projectionBias, items: items, itemBias: itemBias)
        (self.inputWidth, self.hidden, self.itemCount) = (inputWidth, width, itemCount)
    }

    /// h [rows, inputWidth] → logits [rows, itemCount] (eval mode: no dropout).
    public func callAsFunction(_ h: [Float], rows: Int) -> [Float] {
        switch weights {
        case let .mlp(w0, b0, w2):
            var a = Dense.linear(h, rows: rows, weight: w0, bias: b0, out: hidden, in: inputWidth)
            Dense.silu(&a)
            return Dense.linear(a, rows: rows, weight: w2, bias: nil, out: itemCount, in: hidden)
        case let .factorized(projection, projectionBias, items, itemBias):
            let p = Dense.linear(h, rows: rows, weight: projection, bias: projectionBias, out: hidden, in: inputWidth)
            return Dense.linear(p, rows: rows, weight: items, bias: itemBias, out: itemCount, in: hidden)
        }
    }

    /// The tensors of heads.safetensors that hold this layer.
    func tensors() -> [NamedTensor] {
        let (c, k, n) = (inputWidth, hidden, itemCount)
        switch weights {
        case let .mlp(w0, b0, w2):
            return [NamedTensor(name: HeadsTensorName.iplIn, shape: [k, c], values: w0),
                    NamedTensor(name: HeadsTensorName.iplInBias, shape: [k], values: b0),
                    NamedTensor(name: HeadsTensorName.iplOut, shape: [n, k], values: w2)]
        case let .factorized(projection, projectionBias, items, itemBias):
            return [NamedTensor(name: HeadsTensorName.iplProjection, shape: [k, c], values: projection),
                    NamedTensor(name: HeadsTensorName.iplProjectionBias, shape: [k], values: projectionBias),
                    NamedTensor(name: HeadsTensorName.iplItems, shape: [n, k], values: items),
                    NamedTensor(name: HeadsTensorName.iplItemBias, shape: [n], values: itemBias)]
        }
    }
}

private func checkCount(_ name: String, _ v: [Float], _ n: Int, _ shape: [Int]) throws {
    guard v.count == n else {
        throw RecommenderError.tensorShape(file: "heads", name: name, expected: shape, found: [v.count])
    }
}
