// The item projection layer (IPL, paper §3.3; docs/public-code.md §3), shared by the text
// and the ID pass: the decoder's hidden state at the last [SEQ] in, one logit per item out.

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
