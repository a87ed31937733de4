// RMSNorm (Zhang & Sennrich 2019), Llama's norm: y = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps).
//
// Saves rstd per row (llm.c's layernorm saves mean and rstd); the normalised x is recomputed in
// backward. One generic body: Double is the gradient checks' reference, and Float trains on the
// same body (a Float sum of squares). The decoder's Float RMSNorm (Kernels' Vector.rmsNorm) sums
// the squares in Double; with the trainer's Float forward routed there (and the decoder's exp
// rounding, Kernels/FastExp.swift), HDRec's fixed-seed regression losses moved by up to 2.3e-6
// relative, beyond the check's 1e-6 (docs/training.md "Operators and gradients"), so the trainer
// keeps this body until that baseline is re-recorded.
// With g = w ⊙ dy:  dx = rstd·g − x · rstd³ · (Σ g⊙x) / C;  dw += Σ_rows dy ⊙ x · rstd.
// SmolLM2: eps = 1e-5.
//
// Glossary: M rows, C channels.

/// Root-mean-square layer normalisation with a learnable (or frozen) gain.
public enum RMSNorm {
    /// - Parameters:
    ///   - out: (M, C), overwritten (may not alias input)
    ///   - rstd: (M), overwritten: saved for backward
    ///   - input: (M, C); weight: (C)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>,
                                              input: UnsafePointer<T>, weight: UnsafePointer<T>,
                                              m: Int, c: Int, eps: Double) {
        parallelRows(m, minRowsPerChunk: 64) { rows in
            for i in rows {
                let x = input + i * c, y = out + i * c
                var ss: T = 0
                for j in 0..<c { ss += x[j] * x[j] }
                let r = 1 / (ss / T(c) + T(eps)).squareRoot()
                rstd[i] = r
                for j in 0..<c { y[j] = x[j] * r * weight[j] }
            }
        }
    }

    /// dX (M, C) += …; dWeight (C) += … when non-nil (trainable norms, `--train-norms`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dWeight: UnsafeMutablePointer<T>?,
                                               dOut: UnsafePointer<T>, input: UnsafePointer<T>,
                                               weight: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                               m: Int, c: Int) {
        parallelRows(m, minRowsPerChunk: 64) { rows in
            for i in rows {
                let x = input + i * c, dy = dOut + i * c, dx = dInput + i * c
                let r = rstd[i]
                var dot: T = 0
                for j in 0..<c { dot += dy[j] * weight[j] * x[j] }
                let k = r * r * r * dot / T(c)
                for j in 0..<c { dx[j] += r * dy[j] * weight[j] - x[j] * k }
            }
        }
        // The weight gradient sums over rows: done serially to avoid racing on dWeight.
        if let dWeight {
            for i in 0..<m {
                let x = input + i * c, dy = dOut + i * c, r = rstd[i]
                for j in 0..<c { dWeight[j] += dy[j] * x[j] * r }
            }
        }
    }
}
