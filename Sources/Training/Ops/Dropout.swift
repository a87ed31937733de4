// Dropout (inverted, as PyTorch's nn.Dropout): keep with probability 1-p and scale by 1/(1-p).
//
// The mask is a pure function of (seed, element index) (TrainingRNG.unit), so nothing is stored
// between forward and backward: backward regenerates the same mask from the same seed. Callers
// derive one seed per dropout site per step (TrainingRNG.derive). p = 0 is the identity
// (evaluation mode). Because the mask depends only on the index, chunks run in parallel and the
// result is the same for any thread count.

/// Inverted dropout with a counter-based, seed-reproducible mask.
public enum Dropout {
    /// The multiplier for element `index`: 0 (dropped) or 1/(1-p) (kept).
    @inlinable @inline(__always)
    public static func factor<T: TrainScalar>(seed: UInt64, index: Int, p: Double, as: T.Type = T.self) -> T {
        if p <= 0 { return 1 }
        return TrainingRNG.unit(seed: seed, index: index) < p ? 0 : T(1 / (1 - p))
    }

    /// out[i] = x[i] · factor(i); `out` may alias `input`. Shapes: (count).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                              count: Int, p: Double, seed: UInt64) {
        if p <= 0 {
            if UnsafePointer(out) != input { out.update(from: input, count: count) }
            return
        }
        let scale = T(1 / (1 - p))
        parallelRows(count, minRowsPerChunk: 1 << 14) { r in
            for i in r { out[i] = TrainingRNG.unit(seed: seed, index: i) < p ? 0 : input[i] * scale }
        }
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
        let scale = T(1 / (1 - p))
        parallelRows(count, minRowsPerChunk: 1 << 14) { r in
            for i in r where TrainingRNG.unit(seed: seed, index: i) >= p { dInput[i] += dOut[i] * scale }
        }
    }
}
