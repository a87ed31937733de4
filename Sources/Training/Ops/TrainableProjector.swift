// TrainableProjector: the ID projector with its backward; frozen SASRec item vector → decoder embedding space (paper Eq. 7).
//
// Shapes as the public code builds it (docs/public-code.md §3, `PtuningEmbedding`):
//   a = x·W1ᵀ + b1;  s = silu(a);  e = s·W2ᵀ + b2   (128 → Hd → C, no dropout)
// Its output replaces the token embedding at the ID placeholders (Embedding.inject). The SASRec
// table is frozen, so dInput is optional. Saved for backward: a (N × Hd).
//
// Glossary: N rows (item placeholders), P SASRec dim (128), Hd hidden, C decoder dim.
import TrainingOps

/// The projector's sizes.
public struct ProjectorShape: Sendable, Equatable {
    public var rows: Int, input: Int, hidden: Int, output: Int
    public init(rows: Int, input: Int, hidden: Int, output: Int) {
        self.rows = rows; self.input = input; self.hidden = hidden; self.output = output
    }
}

/// The projector's parameters: W1 (Hd, P), b1 (Hd), W2 (C, Hd), b2 (C).
public struct ProjectorWeights<T: TrainScalar> {
    public var w1: UnsafePointer<T>, b1: UnsafePointer<T>, w2: UnsafePointer<T>, b2: UnsafePointer<T>
    public init(w1: UnsafePointer<T>, b1: UnsafePointer<T>, w2: UnsafePointer<T>, b2: UnsafePointer<T>) {
        self.w1 = w1; self.b1 = b1; self.w2 = w2; self.b2 = b2
    }
}

/// Gradient buffers matching ProjectorWeights; nil entries are not computed.
public struct ProjectorGradients<T: TrainScalar> {
    public var w1: UnsafeMutablePointer<T>?, b1: UnsafeMutablePointer<T>?
    public var w2: UnsafeMutablePointer<T>?, b2: UnsafeMutablePointer<T>?
    public init(w1: UnsafeMutablePointer<T>?, b1: UnsafeMutablePointer<T>?,
                w2: UnsafeMutablePointer<T>?, b2: UnsafeMutablePointer<T>?) {
        self.w1 = w1; self.b1 = b1; self.w2 = w2; self.b2 = b2
    }
}

/// Forward and backward of the ID projector.
public enum TrainableProjector {
    /// - Parameters:
    ///   - out: e, (N, C), overwritten
    ///   - saved: a, (N, Hd), overwritten: keep for backward
    ///   - input: x, (N, P)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, saved a: UnsafeMutablePointer<T>,
                                              input: UnsafePointer<T>, weights: ProjectorWeights<T>,
                                              shape s: ProjectorShape) {
        let nh = s.rows * s.hidden
        Linear.forward(out: a, input: input, weight: weights.w1, bias: weights.b1, m: s.rows, n: s.hidden, k: s.input)
        let act = UnsafeMutablePointer<T>.allocate(capacity: nh)
        defer { act.deallocate() }
        SiLU.forward(out: act, input: a, count: nh)
        Linear.forward(out: out, input: act, weight: weights.w2, bias: weights.b2, m: s.rows, n: s.output, k: s.hidden)
    }

    /// Accumulates dInput (N, P) (if non-nil) and the parameter gradients from dOut (N, C).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>?, gradients: ProjectorGradients<T>,
                                               dOut: UnsafePointer<T>, input: UnsafePointer<T>,
                                               saved a: UnsafePointer<T>, weights: ProjectorWeights<T>,
                                               shape s: ProjectorShape) {
        let nh = s.rows * s.hidden
        let act = UnsafeMutablePointer<T>.allocate(capacity: nh)
        let g = UnsafeMutablePointer<T>.allocate(capacity: nh)
        defer { act.deallocate(); g.deallocate() }
        SiLU.forward(out: act, input: a, count: nh)
        if gradients.w2 != nil || gradients.b2 != nil {
            Linear.backward(dInput: nil, dWeight: gradients.w2, dBias: gradients.b2, dOut: dOut, input: act,
                            weight: weights.w2, m: s.rows, n: s.output, k: s.hidden)
        }
        act.update(repeating: 0, count: nh)
        Linear.backwardInput(dInput: act, dOut: dOut, weight: weights.w2, m: s.rows, n: s.output, k: s.hidden)
        g.update(repeating: 0, count: nh)
        SiLU.backward(dInput: g, dOut: act, input: a, count: nh)
        Linear.backward(dInput: dInput, dWeight: gradients.w1, dBias: gradients.b1, dOut: g, input: input,
                        weight: weights.w1, m: s.rows, n: s.hidden, k: s.input)
    }
}
