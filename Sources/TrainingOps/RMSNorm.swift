// RMSNorm (Zhang & Sennrich 2019), Llama's norm: y = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps).
//
// Saves rstd per row (llm.c's layernorm saves mean and rstd); the normalised x is recomputed in
// backward. Float takes the decoder's fast path (Kernels' Vector.rmsNorm, which sums the squares
// in Double), so training and serving normalise alike; Double runs the generic body, the
// gradient checks' reference. Routing Float there moved HDRec's fixed-seed regression losses by
// at most 2.3e-6 relative (Tools/regression, docs/training.md "Operators and gradients").
// With g = w ⊙ dy:  dx = rstd·g − x · rstd³ · (Σ g⊙x) / C;  dw += Σ_rows dy ⊙ x · rstd.
// SmolLM2: eps = 1e-5.
//
// Glossary: M rows, C channels.

import Kernels

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
        if T.self == Float.self {
            let xf = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
            let yf = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self)
            let wf = UnsafeRawPointer(weight).assumingMemoryBound(to: Float.self)
            let rf = UnsafeMutableRawPointer(rstd).assumingMemoryBound(to: Float.self)
            parallelRows(m, minRowsPerChunk: 64) { rows in
                for i in rows { rf[i] = Vector.rmsNorm(xf + i * c, weight: wf, eps: Float(eps), into: yf + i * c, count: c) }
            }
            return
        }
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
