// Elementwise and reduction primitives on Float vectors (BLAS level 1 shapes):
// dot, axpy, scale, add, mul. SIMD8 bodies with scalar tails; the sum in `dot` uses
// four accumulators to hide FMA latency (so its rounding differs slightly from a
// sequential loop, well within Float tolerance).

public enum Vector {
    /// Σ x[i]·y[i] over `count` elements.
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= count {
            a0 = a0.addingProduct(x.load8(i), y.load8(i))
            a1 = a1.addingProduct(x.load8(i + 8), y.load8(i + 8))
            a2 = a2.addingProduct(x.load8(i + 16), y.load8(i + 16))
            a3 = a3.addingProduct(x.load8(i + 24), y.load8(i + 24))
            i += 32
        }
        while i + 8 <= count { a0 = a0.addingProduct(x.load8(i), y.load8(i)); i += 8 }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while i < count { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// y[i] += alpha · x[i]
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= count { y.store8(y.load8(i).addingProduct(a, x.load8(i)), i); i += 8 }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }

    /// x[i] *= alpha (in place)
    public static func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= count { x.store8(x.load8(i) * a, i); i += 8 }
        while i < count { x[i] *= alpha; i += 1 }
    }

    /// out[i] = x[i] + y[i]  (`out` may alias x or y)
    public static func add(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count { out.store8(x.load8(i) + y.load8(i), i); i += 8 }
        while i < count { out[i] = x[i] + y[i]; i += 1 }
    }

    /// out[i] = x[i] · y[i]  (`out` may alias x or y)
    public static func mul(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count { out.store8(x.load8(i) * y.load8(i), i); i += 8 }
        while i < count { out[i] = x[i] * y[i]; i += 1 }
    }
}
