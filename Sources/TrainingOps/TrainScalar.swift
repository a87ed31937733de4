// TrainScalar: the element type of every training op (Float in production, Double in gradient checks).
//
// Each op in TrainingOps is written once, generic over `T: TrainScalar`, so the code that is
// finite-difference checked in Double is the very code that trains in Float (llm.c keeps a
// separate naive reference; we keep one generic body instead). Both models train on it: HDRec
// (Training) and SASRec (RecSys). The only per-type difference is
// where the heavy products go: Float routes them to the Kernels module's tuned GEMMs
// (see GEMM.swift) and its SIMD dot/axpy, Double uses the naive generic loops there, which serve as the oracle.
import Foundation
import Kernels

/// A floating-point element type the training ops run on.
///
/// The three GEMM hooks use row-major buffers. `accumulate` adds into `c`/`y` instead of
/// overwriting it (the backward passes rely on this to honour the `+=` contract).
public protocol TrainScalar: BinaryFloatingPoint, Sendable {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    /// The error function (GELU's erf form).
    static func erf(_ x: Self) -> Self

    /// Σ x[i]·y[i]
    static func dot(_ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>, count: Int) -> Self
    /// y[i] += a·x[i]
    static func axpy(_ a: Self, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, count: Int)
    /// x[i] = e^x[i] (Float: Kernels' Vector.fastExp, vectorised; Double: libm)
    static func expInPlace(_ x: UnsafeMutablePointer<Self>, count: Int)

    /// y[m,n] (+)= x[m,k] · w[n,k]ᵀ  (a Linear layer with PyTorch's [out, in] weight layout)
    static func gemmLinear(_ y: UnsafeMutablePointer<Self>, _ x: UnsafePointer<Self>, _ w: UnsafePointer<Self>,
                           m: Int, n: Int, k: Int, accumulate: Bool)
    /// y_i[m, n_i] = x[m, k] · w_i[n_i, k]ᵀ for several weights that share x (a layer's q, k, v or
    /// gate, up); each y_i is overwritten and equals `gemmLinear(y_i, x, w_i, …)` bit for bit.
    static func gemmLinearShared(_ products: [(y: UnsafeMutablePointer<Self>, w: UnsafePointer<Self>, n: Int)],
                                 _ x: UnsafePointer<Self>, m: Int, k: Int)
    /// c[m,n] (+)= a[m,k] · b[k,n]
    static func gemm(_ c: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>,
                     m: Int, n: Int, k: Int, accumulate: Bool)
    /// c[m,n] (+)= a[k,m]ᵀ · b[k,n]  (weight gradients: dW = dYᵀ · X)
    static func gemmTransA(_ c: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>,
                           m: Int, n: Int, k: Int, accumulate: Bool)
}

extension Float: TrainScalar {
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inlinable public static func cos(_ x: Float) -> Float { Foundation.cosf(x) }
    @inlinable public static func sin(_ x: Float) -> Float { Foundation.sinf(x) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
    @inlinable public static func erf(_ x: Float) -> Float { Foundation.erff(x) }

    @inline(__always) public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        Vector.dot(x, y, count: count)
    }
    @inline(__always) public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Vector.axpy(a, x, y, count: count)
    }
    @inline(__always) public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Vector.fastExp(x, count: count)
    }

    public static func gemmLinear(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                  m: Int, n: Int, k: Int, accumulate: Bool) {
        FastGEMM.linear(y, x, w, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmLinearShared(_ products: [(y: UnsafeMutablePointer<Float>, w: UnsafePointer<Float>, n: Int)],
                                        _ x: UnsafePointer<Float>, m: Int, k: Int) {
        // One packing of x and one pool job for all of them (MatMul.linear(sharing:)).
        MatMul.linear(sharing: products.map { MatMul.SharedInputProduct(y: $0.y, w: $0.w, n: $0.n) }, x,
                      m: m, k: k, accumulate: false)
    }
    public static func gemm(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                            m: Int, n: Int, k: Int, accumulate: Bool) {
        FastGEMM.matmul(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmTransA(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                  m: Int, n: Int, k: Int, accumulate: Bool) {
        FastGEMM.matmulTransA(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
}

extension Double: TrainScalar {
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func cos(_ x: Double) -> Double { Foundation.cos(x) }
    @inlinable public static func sin(_ x: Double) -> Double { Foundation.sin(x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inlinable public static func erf(_ x: Double) -> Double { Foundation.erf(x) }

    @inline(__always) public static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { s += x[i] * y[i] }
        return s
    }
    @inline(__always) public static func axpy(_ a: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { y[i] += a * x[i] }
    }
    @inline(__always) public static func expInPlace(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = Foundation.exp(x[i]) }
    }

    public static func gemmLinear(_ y: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, _ w: UnsafePointer<Double>,
                                  m: Int, n: Int, k: Int, accumulate: Bool) {
        NaiveGEMM.linear(y, x, w, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmLinearShared(_ products: [(y: UnsafeMutablePointer<Double>, w: UnsafePointer<Double>, n: Int)],
                                        _ x: UnsafePointer<Double>, m: Int, k: Int) {
        for p in products { NaiveGEMM.linear(p.y, x, p.w, m: m, n: p.n, k: k, accumulate: false) }
    }
    public static func gemm(_ c: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                            m: Int, n: Int, k: Int, accumulate: Bool) {
        NaiveGEMM.matmul(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmTransA(_ c: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                                  m: Int, n: Int, k: Int, accumulate: Bool) {
        NaiveGEMM.matmulTransA(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
}

extension TrainScalar {
    /// The logistic function σ(x) = 1 / (1 + e^-x), written so neither branch overflows.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Self) -> Self {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }
}
