// Linear: y = x·Wᵀ (+ b), PyTorch's nn.Linear with weight [out, in].
//
// Forward and backward side by side (llm.c `matmul_forward` / `matmul_backward`). The backward is
// split so a frozen base weight costs only the dX product (HDRec freezes the decoder, paper §3.4),
// while the heads (IPL, projector) also get dW and db. Every product goes through TrainScalar's
// GEMM hooks, i.e. the Kernels module for Float.
//
// Glossary: M rows (tokens), N output features, K input features.

/// A fully connected layer y[M,N] = x[M,K]·W[N,K]ᵀ + b[N].
public enum Linear {
    /// - Parameters:
    ///   - out: y, (M, N), overwritten
    ///   - input: x, (M, K)
    ///   - weight: W, (N, K)
    ///   - bias: b, (N), or nil
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                              weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                              m: Int, n: Int, k: Int) {
        T.gemmLinear(out, input, weight, m: m, n: n, k: k, accumulate: false)
        if let bias {
            for i in 0..<m {
                let row = out + i * n
                for j in 0..<n { row[j] += bias[j] }
            }
        }
    }

    /// Input gradient only (frozen weight): dX[M,K] += dY[M,N]·W[N,K].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backwardInput<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                                    weight: UnsafePointer<T>, m: Int, n: Int, k: Int) {
        T.gemm(dInput, dOut, weight, m: m, n: k, k: n, accumulate: true)
    }

    /// Parameter gradients: dW[N,K] += dY[M,N]ᵀ·X[M,K]; db[N] += Σ_rows dY.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backwardParameters<T: TrainScalar>(dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
                                                         dOut: UnsafePointer<T>, input: UnsafePointer<T>,
                                                         m: Int, n: Int, k: Int) {
        T.gemmTransA(dWeight, dOut, input, m: n, n: k, k: m, accumulate: true)
        if let dBias {
            for i in 0..<m {
                let row = dOut + i * n
                for j in 0..<n { dBias[j] += row[j] }
            }
        }
    }

    /// Full backward; pass nil for any gradient that is not needed.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>?,
                                               dBias: UnsafeMutablePointer<T>?, dOut: UnsafePointer<T>,
                                               input: UnsafePointer<T>, weight: UnsafePointer<T>,
                                               m: Int, n: Int, k: Int) {
        if let dInput { backwardInput(dInput: dInput, dOut: dOut, weight: weight, m: m, n: n, k: k) }
        if let dWeight {
            backwardParameters(dWeight: dWeight, dBias: dBias, dOut: dOut, input: input, m: m, n: n, k: k)
        } else if let dBias {
            for i in 0..<m { for j in 0..<n { dBias[j] += dOut[i * n + j] } }
        }
    }
}
