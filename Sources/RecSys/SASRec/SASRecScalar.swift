// The scalar types SASRec runs in. The model, its ops and their backward
// passes are written once, generic over `SASRecScalar`: production trains in
// Float with the Kernels module's matrix products (MatMul), and the gradient checks run the very same
// code in Double (with plain loops), where finite differences are accurate.
import Foundation
import Kernels

/// A floating-point type SASRec can run in: matrix products plus the few transcendental functions it needs.
public protocol SASRecScalar: BinaryFloatingPoint, Sendable {
    /// y[m,n] (+)= x[m,k] · w[n,k]ᵀ
    static func gemmNT(_ y: UnsafeMutablePointer<Self>, _ x: UnsafePointer<Self>, _ w: UnsafePointer<Self>, m: Int, n: Int, k: Int, accumulate: Bool)
    /// c[m,n] (+)= a[m,k] · b[k,n]
    static func gemmNN(_ c: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, m: Int, n: Int, k: Int, accumulate: Bool)
    /// c[m,n] (+)= a[k,m]ᵀ · b[k,n]
    static func gemmTN(_ c: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, m: Int, n: Int, k: Int, accumulate: Bool)
    static func expo(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func erfunc(_ x: Self) -> Self
}

/// Reference products: straightforward loops, used by Double for gradient checks.
enum NaiveGemm {
    static func nt<T: BinaryFloatingPoint>(_ y: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, _ w: UnsafePointer<T>, m: Int, n: Int, k: Int, accumulate: Bool) {
        for i in 0..<m {
            for j in 0..<n {
                var s: T = 0
                for p in 0..<k { s += x[i * k + p] * w[j * k + p] }
                y[i * n + j] = accumulate ? y[i * n + j] + s : s
            }
        }
    }
    static func nn<T: BinaryFloatingPoint>(_ c: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, m: Int, n: Int, k: Int, accumulate: Bool) {
        for i in 0..<m {
            for j in 0..<n {
                var s: T = 0
                for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
                c[i * n + j] = accumulate ? c[i * n + j] + s : s
            }
        }
    }
    static func tn<T: BinaryFloatingPoint>(_ c: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, m: Int, n: Int, k: Int, accumulate: Bool) {
        for i in 0..<m {
            for j in 0..<n {
                var s: T = 0
                for p in 0..<k { s += a[p * m + i] * b[p * n + j] }
                c[i * n + j] = accumulate ? c[i * n + j] + s : s
            }
        }
    }
}

extension Double: SASRecScalar {
    public static func gemmNT(_ y: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, _ w: UnsafePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool) {
        NaiveGemm.nt(y, x, w, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmNN(_ c: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool) {
        NaiveGemm.nn(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmTN(_ c: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool) {
        NaiveGemm.tn(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func expo(_ x: Double) -> Double { Foundation.exp(x) }
    public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    public static func erfunc(_ x: Double) -> Double { Foundation.erf(x) }
}

extension Float: SASRecScalar {
    public static func gemmNT(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        MatMul.linear(y, x, w, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmNN(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        MatMul.matmul(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func gemmTN(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        MatMul.matmulTransA(c, a, b, m: m, n: n, k: k, accumulate: accumulate)
    }
    public static func expo(_ x: Float) -> Float { Foundation.exp(x) }
    public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    public static func erfunc(_ x: Float) -> Float { Foundation.erf(x) }
}

/// A pointer wrapper that may cross into parallel workers; each worker writes disjoint ranges.
struct SharedPointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
    init(_ p: UnsafePointer<T>) { self.p = UnsafeMutablePointer(mutating: p) }
}

/// Runs `body(i)` for i in 0..<count on the shared kernel thread pool (inline when count is 1).
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
        if count == 1 { body(0) }
        return
    }
    ThreadPool.shared.parallelFor(count, body)
}

/// The number of worker chunks to split a loop of `work` units into.
func workerChunks(_ units: Int) -> Int {
    max(1, min(units, ProcessInfo.processInfo.activeProcessorCount * 2))
}
