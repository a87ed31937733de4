// Test helpers: a seeded generator and the naive Double-accumulating products that
// serve as the oracle for every optimized kernel.

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomFloats(_ count: Int, seed: UInt64, range: ClosedRange<Float> = -1...1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &rng) }
}

/// Reference product C(i, j) = Σ_p A(i, p) · B(p, j) in Double, plus the magnitude
/// Σ_p |A(i, p) · B(p, j)| that bounds the Float rounding error.
func naiveProduct(m: Int, n: Int, k: Int, a: (Int, Int) -> Float, b: (Int, Int) -> Float) -> (value: [Double], magnitude: [Double]) {
    var value = [Double](repeating: 0, count: m * n)
    var magnitude = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0, mag = 0.0
            for p in 0..<k {
                let t = Double(a(i, p)) * Double(b(p, j))
                s += t
                mag += abs(t)
            }
            value[i * n + j] = s
            magnitude[i * n + j] = mag
        }
    }
    return (value, magnitude)
}

/// Index of the first element outside the tolerance, or nil when all match.
func firstMismatch(_ got: [Float], _ want: [Double], magnitude: [Double], base: [Float]? = nil) -> Int? {
    for i in 0..<got.count {
        let expected = want[i] + Double(base?[i] ?? 0)
        let tolerance = 2e-6 * (magnitude[i] + abs(Double(base?[i] ?? 0))) + 1e-6
        if !(abs(Double(got[i]) - expected) <= tolerance) { return i }
    }
    return nil
}
