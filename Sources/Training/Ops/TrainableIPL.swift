// TrainableIPL: the item projection layer (IPL) with its backward; decoder hidden state → one logit per item.
//
// Paper Eqs. 2, 4, 5 ("a multilayer feedforward network"); shapes as the public code builds it
// (docs/public-code.md §3, `score_classify`):
//   a = h·W1ᵀ + b1;  d = dropout(a);  s = silu(d);  z = s·W2ᵀ   (no bias on the second layer)
// The dropout comes before the SiLU, as in the public code. Saved for backward: a only (N × Hd);
// d and s are recomputed (the dropout mask is regenerated from the seed).
//
// Glossary: N rows (supervised positions), C decoder dim, Hd IPL hidden, I items.
import TrainingOps

/// The IPL's sizes.
public struct IPLShape: Sendable, Equatable {
    public var rows: Int, dim: Int, hidden: Int, items: Int
    /// Dropout probability between the layers (0 in evaluation).
    public var dropout: Double
    /// (N) each row's dropout key (Sources/TrainingOps/RowKeyedDropout.swift); nil: masks by element index.
    public var rowKeys: [UInt64]?
    public init(rows: Int, dim: Int, hidden: Int, items: Int, dropout: Double, rowKeys: [UInt64]? = nil) {
        self.rows = rows; self.dim = dim; self.hidden = hidden; self.items = items; self.dropout = dropout
        self.rowKeys = rowKeys
    }
}

/// The IPL's parameters: W1 (Hd, C), b1 (Hd), W2 (I, Hd).
public struct IPLWeights<T: TrainScalar> {
    public var w1: UnsafePointer<T>, b1: UnsafePointer<T>, w2: UnsafePointer<T>
    public init(w1: UnsafePointer<T>, b1: UnsafePointer<T>, w2: UnsafePointer<T>) {
        self.w1 = w1; self.b1 = b1; self.w2 = w2
    }
}

/// Gradient buffers matching IPLWeights; nil entries are not computed.
public struct IPLGradients<T: TrainScalar> {
    public var w1: UnsafeMutablePointer<T>?, b1: UnsafeMutablePointer<T>?, w2: UnsafeMutablePointer<T>?
    public init(w1: UnsafeMutablePointer<T>?, b1: UnsafeMutablePointer<T>?, w2: UnsafeMutablePointer<T>?) {
        self.w1 = w1; self.b1 = b1; self.w2 = w2
    }
}

/// Forward and backward of the item projection layer.
public enum TrainableIPL {
    /// - Parameters:
    ///   - logits: z, (N, I), overwritten
    ///   - saved: a = h·W1ᵀ + b1, (N, Hd), overwritten: keep for backward
    ///   - input: h, (N, C)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(logits: UnsafeMutablePointer<T>, saved a: UnsafeMutablePointer<T>,
                                              input: UnsafePointer<T>, weights: IPLWeights<T>,
                                              shape s: IPLShape, seed: UInt64) {
        let nh = s.rows * s.hidden
        Linear.forward(out: a, input: input, weight: weights.w1, bias: weights.b1, m: s.rows, n: s.hidden, k: s.dim)
        let act = UnsafeMutablePointer<T>.allocate(capacity: nh)
        defer { act.deallocate() }
        RowKeyedDropout.forward(out: act, input: a, rows: s.rows, width: s.hidden, p: s.dropout, seed: seed, keys: s.rowKeys)
        SiLU.forward(out: act, input: act, count: nh)
        Linear.forward(out: logits, input: act, weight: weights.w2, bias: nil, m: s.rows, n: s.items, k: s.hidden)
    }

    /// Accumulates dInput (N, C) (if non-nil) and the parameter gradients from dLogits (N, I).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>?, gradients: IPLGradients<T>,
                                               dLogits: UnsafePointer<T>, input: UnsafePointer<T>,
                                               saved a: UnsafePointer<T>, weights: IPLWeights<T>,
                                               shape s: IPLShape, seed: UInt64) {
        let nh = s.rows * s.hidden
        let d = UnsafeMutablePointer<T>.allocate(capacity: nh)
        let act = UnsafeMutablePointer<T>.allocate(capacity: nh)
        let g = UnsafeMutablePointer<T>.allocate(capacity: nh)
        defer { d.deallocate(); act.deallocate(); g.deallocate() }
        RowKeyedDropout.forward(out: d, input: a, rows: s.rows, width: s.hidden, p: s.dropout, seed: seed, keys: s.rowKeys)
        SiLU.forward(out: act, input: d, count: nh)
        // second layer: dW2 += dZᵀ·s, dS = dZ·W2
        if let dW2 = gradients.w2 {
            Linear.backwardParameters(dWeight: dW2, dBias: nil, dOut: dLogits, input: act,
                                      m: s.rows, n: s.items, k: s.hidden)
        }
        act.update(repeating: 0, count: nh)
        Linear.backwardInput(dInput: act, dOut: dLogits, weight: weights.w2, m: s.rows, n: s.items, k: s.hidden)
        // SiLU then dropout: dA = dropout'(silu'(d) ⊙ dS)
        g.update(repeating: 0, count: nh)
        SiLU.backward(dInput: g, dOut: act, input: d, count: nh)
        act.update(repeating: 0, count: nh)
        RowKeyedDropout.backward(dInput: act, dOut: g, rows: s.rows, width: s.hidden, p: s.dropout, seed: seed, keys: s.rowKeys)
        Linear.backward(dInput: dInput, dWeight: gradients.w1, dBias: gradients.b1, dOut: act, input: input,
                        weight: weights.w1, m: s.rows, n: s.hidden, k: s.dim)
    }
}
