// The projector of Eq. 7 (docs/public-code.md §3): it maps a frozen SASRec item row into
// the decoder's input space, where it replaces the ID placeholder's token embedding.

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
