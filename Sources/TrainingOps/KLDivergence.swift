// KLDivergence: KL(teacher ‖ student) at temperature τ, with the teacher detached.
//
// HDRec's cross-semantics alignment (paper Eqs. 9 and 11; docs/public-code.md §5.3):
// p = softmax(teacher/τ), q = softmax(student/τ),
// loss = Σ_n w_n Σ_j p_nj (log p_nj − log q_nj). The public code uses w_n = 1/N (batchmean), no τ²
// factor; the paper averages over each user's positions, then over users (RowWeights.swift).
// Only the student gets a gradient: ∂loss/∂s_nj = w_n (q_nj − p_nj) / τ.
//
// Glossary: N rows, V classes (items).

/// Row-weighted KL divergence between two logit matrices, gradient w.r.t. the student only.
public enum KLDivergence {
    /// - Parameters:
    ///   - lseTeacher, lseStudent: (N) log-sum-exp of logits/τ, overwritten: saved for backward
    ///   - teacher, student: (N, V) logits; weights: (N) or nil for 1 each
    /// - Returns: Σ_n w_n KL_n, accumulated in Double
    @discardableResult
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(lseTeacher: UnsafeMutablePointer<T>, lseStudent: UnsafeMutablePointer<T>,
                                              teacher: UnsafePointer<T>, student: UnsafePointer<T>,
                                              weights: UnsafePointer<T>?, n: Int, v: Int,
                                              temperature: Double) -> Double {
        let invTau = T(1 / temperature)
        var total = 0.0
        for r in 0..<n {
            let t = teacher + r * v, s = student + r * v
            let lt = SoftmaxCrossEntropy.logSumExp(t, v, invTau)
            let ls = SoftmaxCrossEntropy.logSumExp(s, v, invTau)
            lseTeacher[r] = lt; lseStudent[r] = ls
            var kl: T = 0
            for j in 0..<v {
                let logp = t[j] * invTau - lt
                kl += T.exp(logp) * (logp - (s[j] * invTau - ls))
            }
            total += Double((weights?[r] ?? 1) * kl)
        }
        return total
    }

    /// dStudent (N, V) += dLoss · w_n · (q − p) / τ.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dStudent: UnsafeMutablePointer<T>, teacher: UnsafePointer<T>,
                                               student: UnsafePointer<T>, lseTeacher: UnsafePointer<T>,
                                               lseStudent: UnsafePointer<T>, weights: UnsafePointer<T>?,
                                               dLoss: T, n: Int, v: Int, temperature: Double) {
        let invTau = T(1 / temperature)
        parallelRows(n, minRowsPerChunk: 4) { rows in
            for r in rows {
                let t = teacher + r * v, s = student + r * v, ds = dStudent + r * v
                let g = dLoss * (weights?[r] ?? 1) * invTau
                let lt = lseTeacher[r], ls = lseStudent[r]
                for j in 0..<v {
                    ds[j] += g * (T.exp(s[j] * invTau - ls) - T.exp(t[j] * invTau - lt))
                }
            }
        }
    }
}
