// Dropout masks keyed by row: row r of a (rows, width) tensor takes its mask from the stream
// `rowSeed(site, keys[r])`, and column j from that stream's counter j (Dropout.factors with
// start 0). A row's mask therefore depends on what the row is (its key) and not on where it
// sits in the batch tensor: a sample keeps its masks when batching, left padding or data-
// parallel sharding (docs/scaling.md) move it to another row. HDRecNetwork keys a row by the
// sample's global key and the token's position in its prompt (DropoutRowKeys.swift).
//
// Without keys (nil) every function falls back to Dropout's element-index masks, so the ops'
// own tests and callers that never shard keep their masks.

/// Row-keyed inverted dropout over (rows, width) tensors.
public enum RowKeyedDropout {
    /// The mask stream of a row with `key` at dropout site `site` (one site per layer, target and step).
    @inlinable @inline(__always)
    public static func rowSeed(site: UInt64, key: UInt64) -> UInt64 {
        TrainingRNG.mix(site ^ TrainingRNG.mix(key &+ 0x5851_F42D_4C95_7F2D))
    }

    /// out[(r - rows.lowerBound)·width + j] = factor of element (r, j) for r in `rows`: the mask of
    /// those rows as multipliers. Shapes: out (rows.count, width); keys (all rows) or nil.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func factors<T: TrainScalar>(_ out: UnsafeMutablePointer<T>, seed: UInt64, rows: Range<Int>, width: Int,
                                               p: Double, keys: [UInt64]?) {
        guard let keys else {
            Dropout.factors(out, seed: seed, start: rows.lowerBound * width, count: rows.count * width, p: p)
            return
        }
        for r in rows {
            Dropout.factors(out + (r - rows.lowerBound) * width, seed: rowSeed(site: seed, key: keys[r]), start: 0,
                            count: width, p: p)
        }
    }

    /// out = x ⊙ mask; `out` may alias `input`. Shapes: (rows, width).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, rows: Int, width: Int,
                                               p: Double, seed: UInt64, keys: [UInt64]?) {
        guard let keys, p > 0 else {
            Dropout.forward(out: out, input: input, count: rows * width, p: p, seed: seed)
            return
        }
        apply(rows: rows, width: width, p: p, seed: seed, keys: keys) { i, f in out[i] = input[i] * f }
    }

    /// dX += dY ⊙ mask. Shapes: (rows, width).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>, rows: Int, width: Int,
                                                p: Double, seed: UInt64, keys: [UInt64]?) {
        guard let keys, p > 0 else {
            Dropout.backward(dInput: dInput, dOut: dOut, count: rows * width, p: p, seed: seed)
            return
        }
        apply(rows: rows, width: width, p: p, seed: seed, keys: keys) { i, f in dInput[i] += dOut[i] * f }
    }

    /// Calls body(r·width + j, factor(r, j)) for every element, rows in parallel.
    @inline(__always)
    static func apply<T: TrainScalar>(rows: Int, width: Int, p: Double, seed: UInt64, keys: [UInt64],
                                      _ body: (Int, T) -> Void) {
        parallelRows(rows, minRowsPerChunk: max(1, Dropout.chunk / max(1, width))) { range in
            let f = UnsafeMutablePointer<T>.allocate(capacity: width)
            defer { f.deallocate() }
            for r in range {
                Dropout.factors(f, seed: rowSeed(site: seed, key: keys[r]), start: 0, count: width, p: p)
                for j in 0 ..< width { body(r * width + j, f[j]) }
            }
        }
    }
}
