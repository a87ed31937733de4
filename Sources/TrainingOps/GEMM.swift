// GEMM: the matrix products behind Linear/LoRA/heads, in two flavours.
//
// `NaiveGEMM` is the generic reference (llm.c's `matmul_forward_naive`): plain loops, used for
// Double (the gradient-check oracle) and as the fallback. `FastGEMM` is the one internal shim
// through which every Float product goes; it forwards to the Kernels module's tuned
// `MatMul.linear` / `MatMul.matmul` / `MatMul.matmulTransA` (docs/kernels.md), so switching
// kernels touches this file only.
//
// Shapes are row-major: linear y[m,n] (+)= x[m,k]·w[n,k]ᵀ; matmul c[m,n] (+)= a[m,k]·b[k,n];
// matmulTransA c[m,n] (+)= a[k,m]ᵀ·b[k,n].

import Kernels

/// Reference GEMMs, generic over the element type.
public enum NaiveGEMM {
    @_specialize(where T == Double)
    @_specialize(where T == Float)
    public static func linear<T: BinaryFloatingPoint>(_ y: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>,
                                                      _ w: UnsafePointer<T>, m: Int, n: Int, k: Int, accumulate: Bool) {
        for i in 0..<m {
            let xr = x + i * k
            for j in 0..<n {
                let wr = w + j * k
                var s: T = 0
                for p in 0..<k { s += xr[p] * wr[p] }
                y[i * n + j] = accumulate ? y[i * n + j] + s : s
            }
        }
    }

    @_specialize(where T == Double)
    @_specialize(where T == Float)
    public static func matmul<T: BinaryFloatingPoint>(_ c: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>,
                                                      _ b: UnsafePointer<T>, m: Int, n: Int, k: Int, accumulate: Bool) {
        if !accumulate { c.update(repeating: 0, count: m * n) }
        for i in 0..<m {
            let cr = c + i * n
            for p in 0..<k {
                let av = a[i * k + p]
                if av == 0 { continue }
                let br = b + p * n
                for j in 0..<n { cr[j] += av * br[j] }
            }
        }
    }

    @_specialize(where T == Double)
    @_specialize(where T == Float)
    public static func matmulTransA<T: BinaryFloatingPoint>(_ c: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>,
                                                            _ b: UnsafePointer<T>, m: Int, n: Int, k: Int, accumulate: Bool) {
        if !accumulate { c.update(repeating: 0, count: m * n) }
        for p in 0..<k {
            let ar = a + p * m
            let br = b + p * n
            for i in 0..<m {
                let av = ar[i]
                if av == 0 { continue }
                let cr = c + i * n
                for j in 0..<n { cr[j] += av * br[j] }
            }
        }
    }
}

/// The Float products: the Kernels module's tiled, threaded GEMMs (ThreadPool.shared).
enum FastGEMM {
    @inline(__always)
    static func linear(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                       m: Int, n: Int, k: Int, accumulate: Bool) {
        MatMul.linear(y, x, w, m: m, n: n, k: k, accumulate: accumulate)
    }

    @inline(__always)
    static func matmul(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       m: Int, n: Int, k: Int, accumulate: Bool) {
        MatMul.matmul(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }

    @inline(__always)
    static func matmulTransA(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                             m: Int, n: Int, k: Int, accumulate: Bool) {
        MatMul.matmulTransA(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
}
