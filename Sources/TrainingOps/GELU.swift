// GELU (Hendrycks & Gimpel 2016) in its exact erf form, SASRec's feed-forward activation
// (RecBole's "gelu"): gelu(x) = x·Φ(x) = x·(1 + erf(x/√2))/2.
//
// gelu'(x) = Φ(x) + x·φ(x) with φ(x) = e^(−x²/2)/√(2π). Nothing is saved beyond the input.

/// Elementwise GELU.
public enum GELU {
    /// out = gelu(x); `out` may alias `input`. Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, count: Int) {
        let invSqrt2 = 1 / T(2).squareRoot()
        for i in 0..<count { out[i] = input[i] * (1 + T.erf(input[i] * invSqrt2)) / 2 }
    }

    /// dX += dY · gelu'(x). Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               input: UnsafePointer<T>, count: Int) {
        let invSqrt2 = 1 / T(2).squareRoot()
        let invSqrt2Pi = 1 / (2 * T.pi).squareRoot()
        for i in 0..<count {
            let x = input[i]
            let cdf = (1 + T.erf(x * invSqrt2)) / 2
            let pdf = T.exp(-x * x / 2) * invSqrt2Pi
            dInput[i] += dOut[i] * (cdf + x * pdf)
        }
    }
}
