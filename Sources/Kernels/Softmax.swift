// Numerically stable softmax of one row: subtract the maximum before exponentiating
// (so no term overflows), accumulate the normalizer in Double. -infinity entries
// (masked positions) become exact zeros; a row that is all -infinity becomes zeros
// rather than NaN.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Vector {
    /// Largest element (-infinity for an empty row).
    public static func max(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count { m = pointwiseMax(m, x.load8(i)); i += 8 }
        var r = m.max()
        while i < count { r = Swift.max(r, x[i]); i += 1 }
        return r
    }

    /// out = softmax(x) in place or not (`out` may alias x). Returns log Σ exp(x) (the
    /// log-normalizer, for cross-entropy losses), -infinity for an all-masked row.
    @discardableResult
    public static func softmax(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return -.infinity }
        let m = max(x, count: count)
        if m == -.infinity {
            out.update(repeating: 0, count: count)
            return -.infinity
        }
        var total: Double = 0
        for i in 0..<count {
            let e = expf(x[i] - m)
            out[i] = e
            total += Double(e)
        }
        scale(out, by: Float(1.0 / total), count: count)
        return m + Float(log(total))
    }
}
