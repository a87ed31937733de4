// Dropout (inverted, as PyTorch's nn.Dropout): keep with probability 1-p and scale by 1/(1-p).
//
// The mask is a pure function of (seed, element index), so nothing is stored between forward and
// backward: backward regenerates the same mask from the same seed. Callers derive one seed per
// dropout site per step (TrainingRNG.derive). p = 0 is the identity (evaluation mode). Because the
// mask depends only on the index, chunks run in parallel, blocks of a tensor can be masked
// separately (LoRALinear masks row blocks), and the result is the same for any thread count.
//
// The random bits: element i takes 32 bits of the SplitMix64 finaliser of (seed + ⌊i/2⌋·φ),
// the low half for even i and the high half for odd i (TrainingRNG.mix), and is dropped when
// they fall below ⌊p·2³²⌋, so the drop probability is p to within 2⁻³². One hash serves two
// elements and the test is an integer compare, which made mask generation about 3× cheaper than
// the earlier one-hash-per-element Double compare (docs/training.md §Speed).

/// Inverted dropout with a counter-based, seed-reproducible mask.
public enum Dropout {
    /// Elements whose random bits fall below this are dropped.
    @inlinable @inline(__always)
    static func threshold(_ p: Double) -> UInt32 {
        p >= 1 ? .max : UInt32(max(0, p) * 4_294_967_296.0)
    }

    /// The 32 random bits of element `index` of stream `seed`.
    @inlinable @inline(__always)
    public static func bits(seed: UInt64, index: Int) -> UInt32 {
        let h = TrainingRNG.mix(seed &+ UInt64(truncatingIfNeeded: index >> 1) &* 0x9E37_79B9_7F4A_7C15)
        return UInt32(truncatingIfNeeded: index & 1 == 0 ? h : h >> 32)
    }

    /// The multiplier for element `index`: 0 (dropped) or 1/(1-p) (kept).
    @inlinable @inline(__always)
    public static func factor<T: TrainScalar>(seed: UInt64, index: Int, p: Double, as: T.Type = T.self) -> T {
        if p <= 0 { return 1 }
        return bits(seed: seed, index: index) < threshold(p) ? 0 : T(1 / (1 - p))
    }

    /// out[i] = factor(start + i) for i in 0..<count: the mask of elements start..<start+count as multipliers.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func factors<T: TrainScalar>(_ out: UnsafeMutablePointer<T>, seed: UInt64, start: Int, count: Int, p: Double) {
        if p <= 0 { out.update(repeating: 1, count: count); return }
        let th = threshold(p), keep = T(1 / (1 - p))
        var i = 0
        if start & 1 == 1, count > 0 { out[0] = bits(seed: seed, index: start) < th ? 0 : keep; i = 1 }
        while i + 1 < count {
            let h = TrainingRNG.mix(seed &+ UInt64(truncatingIfNeeded: (start + i) >> 1) &* 0x9E37_79B9_7F4A_7C15)
            out[i] = UInt32(truncatingIfNeeded: h) < th ? 0 : keep
            out[i + 1] = UInt32(truncatingIfNeeded: h >> 32) < th ? 0 : keep
            i += 2
        }
        if i < count { out[i] = bits(seed: seed, index: start + i) < th ? 0 : keep }
    }

    /// Elements per mask chunk: the multipliers of a chunk live in a small per-chunk buffer.
    static let chunk = 1 << 12

    /// out[i] = x[i] · factor(i); `out` may alias `input`. Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                              count: Int, p: Double, seed: UInt64) {
        if p <= 0 {
            if UnsafePointer(out) != input { out.update(from: input, count: count) }
            return
        }
        apply(count: count, p: p, seed: seed) { i, f in out[i] = input[i] * f }
    }

    /// dX[i] += dY[i] · factor(i). Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               count: Int, p: Double, seed: UInt64) {
        if p <= 0 {
            for i in 0..<count { dInput[i] += dOut[i] }
            return
        }
        apply(count: count, p: p, seed: seed) { i, f in dInput[i] += dOut[i] * f }
    }

    /// Calls body(i, factor(i)) for every i, in parallel chunks of `chunk` elements.
    @inline(__always)
    static func apply<T: TrainScalar>(count: Int, p: Double, seed: UInt64, _ body: (Int, T) -> Void) {
        let chunks = (count + chunk - 1) / chunk
        parallelRows(chunks, minRowsPerChunk: 4) { r in
            let f = UnsafeMutablePointer<T>.allocate(capacity: chunk)
            defer { f.deallocate() }
            for c in r {
                let lo = c * chunk, n = min(chunk, count - lo)
                factors(f, seed: seed, start: lo, count: n, p: p)
                for j in 0..<n { body(lo + j, f[j]) }
            }
        }
    }
}
