// SoftmaxCrossEntropy: fused softmax + negative log-likelihood over many rows, with row weights.
//
// HDRec's L_align, L_seq-text and L_seq-id (paper Eqs. 2, 4, 5) are cross-entropies over all items
// at each supervised position. Row weights w_n let the caller choose the averaging: 1/N is
// PyTorch's mean (the public code), 1/(|S_u|·U) is the paper's per-user-then-over-users mean
// (RowWeights.swift). loss = Σ_n w_n (lse_n − z_n[t_n]); the fused backward is
// dz_n = dLoss · w_n · (softmax(z_n) − onehot(t_n)) (llm.c `crossentropy_softmax_backward`).
// The log-sum-exp subtracts the row max, so large logits never overflow.
//
// Glossary: N rows, V classes (items).

/// Softmax cross-entropy with integer targets.
public enum SoftmaxCrossEntropy {
    /// - Parameters:
    ///   - losses: (N) per-row weighted loss, or nil
    ///   - lse: (N) row log-sum-exp, overwritten: saved for backward
    ///   - logits: (N, V); targets: (N); weights: (N) or nil for 1 each
    /// - Returns: Σ_n w_n · CE_n, accumulated in Double
    /// - Throws: `TrainingOpsError.targetOutOfRange` for a target outside 0..<V
    @discardableResult
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(losses: UnsafeMutablePointer<T>?, lse: UnsafeMutablePointer<T>,
                                              logits: UnsafePointer<T>, targets: UnsafePointer<Int32>,
                                              weights: UnsafePointer<T>?, n: Int, v: Int) throws -> Double {
        for r in 0..<n where targets[r] < 0 || Int(targets[r]) >= v {
            throw TrainingOpsError.targetOutOfRange(row: r, target: Int(targets[r]), classes: v)
        }
        var total = 0.0
        for r in 0..<n {
            let z = logits + r * v
            let l = logSumExp(z, v, 1)
            lse[r] = l
            let w = weights?[r] ?? 1
            let loss = w * (l - z[Int(targets[r])])
            losses?[r] = loss
            total += Double(loss)
        }
        return total
    }

    /// dLogits (N, V) += dLoss · w_n · (softmax(z_n) − onehot(t_n)).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dLogits: UnsafeMutablePointer<T>, logits: UnsafePointer<T>,
                                               lse: UnsafePointer<T>, targets: UnsafePointer<Int32>,
                                               weights: UnsafePointer<T>?, dLoss: T, n: Int, v: Int) {
        parallelRows(n, minRowsPerChunk: 4) { rows in
            for r in rows {
                let z = logits + r * v, dz = dLogits + r * v
                let g = dLoss * (weights?[r] ?? 1), l = lse[r]
                for j in 0..<v { dz[j] += g * T.exp(z[j] - l) }
                dz[Int(targets[r])] -= g
            }
        }
    }

    /// The fused form SASRec trains with: one pass per row computes the loss and replaces the logits
    /// by their gradient, so no (N, V) buffer is kept besides the logits themselves.
    /// - Parameters:
    ///   - logits: (N, V); on return dLoss/dz · `gradScale` = (softmax(z_n) − onehot(t_n)) · gradScale
    ///   - targets: (N), each in 0..<V
    /// - Returns: Σ_n CE_n (unscaled), accumulated in Double
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func lossAndGradientInPlace<T: TrainScalar>(logits: UnsafeMutablePointer<T>, targets: [Int], v: Int,
                                                              gradScale: T) -> Double {
        let rows = targets.count
        // One partial sum per chunk, added in chunk order; the chunks are fixed by the row count
        // alone, so the total depends neither on scheduling nor on the thread count.
        let chunks = max(1, min(rows, 8))
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
        defer { partial.deallocate() }
        parallelFor(chunks) { c in
            var sum = 0.0
            for r in (rows * c / chunks)..<(rows * (c + 1) / chunks) {
                let row = logits + r * v
                var mx = -T.infinity
                for j in 0..<v where row[j] > mx { mx = row[j] }
                let target = targets[r]
                let shiftedTarget = row[target] - mx
                var total: T = 0
                for j in 0..<v { let e = T.exp(row[j] - mx); row[j] = e; total += e }
                sum += Double(T.log(total) - shiftedTarget)
                let inv = gradScale / total
                for j in 0..<v { row[j] *= inv }
                row[target] -= gradScale
            }
            partial[c] = sum
        }
        var total = 0.0
        for c in 0..<chunks { total += partial[c] }
        return total
    }

    /// log Σ_j exp(z_j / τ) computed stably.
    @inline(__always)
    static func logSumExp<T: TrainScalar>(_ z: UnsafePointer<T>, _ v: Int, _ invTau: T) -> T {
        var mx = -T.infinity
        for j in 0..<v { mx = Swift.max(mx, z[j] * invTau) }
        var s: T = 0
        for j in 0..<v { s += T.exp(z[j] * invTau - mx) }
        return mx + T.log(s)
    }
}
