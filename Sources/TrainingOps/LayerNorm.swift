// LayerNorm (Ba et al. 2016) over the last axis, SASRec's norm: y = x̂·γ + β with
// x̂ = (x − mean(x)) / sqrt(var(x) + eps) (biased variance, as torch.nn.LayerNorm).
//
// Saves x̂ and rstd = 1/σ per row for backward. With ĝ = dy ⊙ γ:
//   dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)),  dγ += Σ_rows dy ⊙ x̂,  dβ += Σ_rows dy.
//
// Glossary: M rows, C channels.

/// Layer normalisation with a learnable gain and bias.
public enum LayerNorm {
    /// - Parameters:
    ///   - out: (M, C), overwritten (may not alias input)
    ///   - xhat: (M, C), rstd: (M), overwritten: saved for backward
    ///   - input: (M, C); gamma, beta: (C)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, xhat: UnsafeMutablePointer<T>,
                                              rstd: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                              gamma: UnsafePointer<T>, beta: UnsafePointer<T>,
                                              m: Int, c: Int, eps: Double) {
        let epsT = T(eps)
        for r in 0..<m {
            let xr = input + r * c
            var mean: T = 0
            for j in 0..<c { mean += xr[j] }
            mean /= T(c)
            var variance: T = 0
            for j in 0..<c { let d = xr[j] - mean; variance += d * d }
            variance /= T(c)
            let s = 1 / (variance + epsT).squareRoot()
            rstd[r] = s
            for j in 0..<c {
                let h = (xr[j] - mean) * s
                xhat[r * c + j] = h
                out[r * c + j] = h * gamma[j] + beta[j]
            }
        }
    }

    /// dX (M, C) += …; dGamma, dBeta (C) += ….
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dGamma: UnsafeMutablePointer<T>,
                                               dBeta: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               xhat: UnsafePointer<T>, rstd: UnsafePointer<T>, gamma: UnsafePointer<T>,
                                               m: Int, c: Int) {
        for r in 0..<m {
            let dy = dOut + r * c, xh = xhat + r * c
            var sumG: T = 0, sumGX: T = 0
            for j in 0..<c {
                let g = dy[j] * gamma[j]
                sumG += g
                sumGX += g * xh[j]
                dGamma[j] += dy[j] * xh[j]
                dBeta[j] += dy[j]
            }
            let meanG = sumG / T(c), meanGX = sumGX / T(c)
            for j in 0..<c {
                let g = dy[j] * gamma[j]
                dInput[r * c + j] += rstd[r] * (g - meanG - xh[j] * meanGX)
            }
        }
    }
}
