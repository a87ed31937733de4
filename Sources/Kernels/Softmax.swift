// Numerically stable softmax of one row, in place: subtract the maximum before exponentiating so
// no term overflows. The decoder's attention (Llama/Attention.swift) calls it for every query row;
// e^x is Vector.fastExp, whose loop vectorises, and the sum runs in eight Float lanes in its own
// pass (a float sum inside the exp loop would keep LLVM from vectorising it). Entries of -∞ are
// not supported: fastExp saturates at e^-87.3.

extension Vector {
    /// x[0..<count] = softmax(x · scale), in place.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int, scale: Float = 1) {
        var maxValue = -Float.infinity
        for j in 0 ..< n { maxValue = Swift.max(maxValue, x[j]) }
        let shift = maxValue * scale
        for j in 0 ..< n { x[j] = fastExp(x[j] * scale - shift) }
        var sum8 = SIMD8<Float>()
        var j = 0
        while j + 8 <= n { sum8 += x.load8(j); j += 8 }
        var sum = sum8.sum()
        while j < n { sum += x[j]; j += 1 }
        let inv = 1 / sum
        for j in 0 ..< n { x[j] *= inv }
    }
}
