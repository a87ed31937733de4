// FactorizedIPL: an item projection layer whose output side is a frozen item table
// (docs/training.md "Recipes and the shipped configuration"): the head learns where to point in item space; which items sit
// there comes from what the items are (their SASRec rows and their text embeddings).
//
//   p = h·Wpᵀ + bp           (N, K)   h: decoder hidden state at a supervised position
//   z = p·Eᵀ + b             (N, I)   E (I, K) frozen item table, b (I) item bias (optional)
//
// An item never seen as a target still gets a score through its row of E, which the
// paper's MLP IPL (whose output layer is an unconstrained (I, H) matrix) cannot give it.
// Saved for backward: p (N, K).
//
// Glossary: N rows, C decoder dim, K item-table width, I items.
import TrainingOps

/// The factorized IPL's sizes.
public struct FactorizedIPLShape: Sendable, Equatable {
    public var rows: Int, dim: Int, width: Int, items: Int
    public init(rows: Int, dim: Int, width: Int, items: Int) {
        self.rows = rows; self.dim = dim; self.width = width; self.items = items
    }
}

/// Trainable Wp (K, C), bp (K), item bias b (I) or nil; frozen E (I, K).
public struct FactorizedIPLWeights<T: TrainScalar> {
    public var projection: UnsafePointer<T>, projectionBias: UnsafePointer<T>
    public var itemBias: UnsafePointer<T>?
    public var items: UnsafePointer<T>
    public init(projection: UnsafePointer<T>, projectionBias: UnsafePointer<T>, itemBias: UnsafePointer<T>?,
                items: UnsafePointer<T>) {
        self.projection = projection; self.projectionBias = projectionBias; self.itemBias = itemBias; self.items = items
    }
}

/// Gradient buffers matching FactorizedIPLWeights' trainable tensors; nil entries are skipped.
public struct FactorizedIPLGradients<T: TrainScalar> {
    public var projection: UnsafeMutablePointer<T>?, projectionBias: UnsafeMutablePointer<T>?
    public var itemBias: UnsafeMutablePointer<T>?
    public init(projection: UnsafeMutablePointer<T>?, projectionBias: UnsafeMutablePointer<T>?,
                itemBias: UnsafeMutablePointer<T>?) {
        self.projection = projection; self.projectionBias = projectionBias; self.itemBias = itemBias
    }
}

public enum FactorizedIPL {
    /// - Parameters:
    ///   - logits: z, (N, I), overwritten
    ///   - saved: p, (N, K), overwritten: keep for backward
    ///   - input: h, (N, C)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(logits: UnsafeMutablePointer<T>, saved p: UnsafeMutablePointer<T>,
                                              input: UnsafePointer<T>, weights w: FactorizedIPLWeights<T>,
                                              shape s: FactorizedIPLShape) {
        Linear.forward(out: p, input: input, weight: w.projection, bias: w.projectionBias, m: s.rows, n: s.width, k: s.dim)
        Linear.forward(out: logits, input: UnsafePointer(p), weight: w.items, bias: w.itemBias, m: s.rows, n: s.items, k: s.width)
    }

    /// Accumulates dInput (N, C) (if non-nil) and the trainable tensors' gradients from dLogits (N, I).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>?, gradients g: FactorizedIPLGradients<T>,
                                               dLogits: UnsafePointer<T>, input: UnsafePointer<T>,
                                               weights w: FactorizedIPLWeights<T>, shape s: FactorizedIPLShape) {
        if let db = g.itemBias {
            for r in 0 ..< s.rows {
                let row = dLogits + r * s.items
                for i in 0 ..< s.items { db[i] += row[i] }
            }
        }
        // dP = dZ·E (N, K); E is frozen, so no dE.
        let dP = UnsafeMutablePointer<T>.allocate(capacity: s.rows * s.width)
        defer { dP.deallocate() }
        dP.update(repeating: 0, count: s.rows * s.width)
        Linear.backwardInput(dInput: dP, dOut: dLogits, weight: w.items, m: s.rows, n: s.items, k: s.width)
        Linear.backward(dInput: dInput, dWeight: g.projection, dBias: g.projectionBias, dOut: UnsafePointer(dP),
                        input: input, weight: w.projection, m: s.rows, n: s.width, k: s.dim)
    }
}

/// The ID pass anchored at SASRec (docs/training.md, "ID pass anchored at SASRec"): out = anchor + γ·z, where the anchor
/// is SASRec's own score row s_u·E_sasᵀ and γ a trainable scalar that starts at 0, so the
/// pass equals SASRec at step 0 and learns how much of the decoder's residual to add.
public enum AnchoredResidual {
    /// out (N·I) = anchor + γ·z.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, anchor: UnsafePointer<T>,
                                              residual z: UnsafePointer<T>, gate: T, count: Int) {
        for i in 0 ..< count { out[i] = anchor[i] + gate * z[i] }
    }

    /// dZ += γ·dOut; dγ += Σ dOut ⊙ z (accumulated in Double).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dResidual: UnsafeMutablePointer<T>, dGate: UnsafeMutablePointer<T>?,
                                               dOut: UnsafePointer<T>, residual z: UnsafePointer<T>, gate: T, count: Int) {
        var sum = 0.0
        for i in 0 ..< count {
            dResidual[i] += gate * dOut[i]
            sum += Double(dOut[i]) * Double(z[i])
        }
        if let dGate { dGate[0] += T(sum) }
    }
}
