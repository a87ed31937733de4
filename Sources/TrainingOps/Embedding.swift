// Embedding: table lookup with scatter-add backward, plus injection of caller-supplied rows.
//
// HDRec's input embedding (paper §3.3.2, Eqs. 6-7) mixes three sources per position: the frozen
// base token table, the trainable added-token table ([SEQ], [ALIGN]) and, in the ID branch, the
// projector's output for each item (docs/public-code.md §3: it *replaces* the token
// embedding at the placeholder positions). Each source is one call here; a negative id skips the
// row, so the caller lays the three over each other.
//
// Glossary: M rows, C channels, V table rows, J injected rows.

/// Row lookup and row injection into an (M, C) activation buffer.
public enum Embedding {
    /// out[t] = table[ids[t]] for every t with ids[t] ≥ 0; other rows are left as they are.
    /// - Parameters:
    ///   - out: (M, C); table: (V, C); ids: (M)
    /// - Throws: `TrainingOpsError.tokenOutOfRange` when an id is ≥ V.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, table: UnsafePointer<T>,
                                              ids: UnsafePointer<Int32>, m: Int, c: Int, vocabulary: Int) throws {
        for t in 0..<m where ids[t] >= vocabulary {
            throw TrainingOpsError.tokenOutOfRange(position: t, token: Int(ids[t]), vocabulary: vocabulary)
        }
        for t in 0..<m where ids[t] >= 0 {
            (out + t * c).update(from: table + Int(ids[t]) * c, count: c)
        }
    }

    /// dTable[ids[t]] += dOut[t] for every t with ids[t] ≥ 0 (scatter-add: repeated ids sum).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dTable: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                               ids: UnsafePointer<Int32>, m: Int, c: Int) {
        for t in 0..<m where ids[t] >= 0 {
            let dst = dTable + Int(ids[t]) * c, src = dOut + t * c
            for j in 0..<c { dst[j] += src[j] }
        }
    }

    /// out[positions[j]] = rows[j] (e.g. projected SASRec vectors at the ID placeholders).
    /// - Parameters:
    ///   - out: (M, C); rows: (J, C); positions: (J)
    /// - Throws: `TrainingOpsError.positionOutOfRange` when a position is outside 0..<M.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func inject<T: TrainScalar>(out: UnsafeMutablePointer<T>, rows: UnsafePointer<T>,
                                             positions: UnsafePointer<Int32>, j: Int, c: Int, m: Int) throws {
        for r in 0..<j where positions[r] < 0 || Int(positions[r]) >= m {
            throw TrainingOpsError.positionOutOfRange(index: r, position: Int(positions[r]), count: m)
        }
        for r in 0..<j { (out + Int(positions[r]) * c).update(from: rows + r * c, count: c) }
    }

    /// dRows[j] += dOut[positions[j]] (the gather that undoes `inject`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func injectBackward<T: TrainScalar>(dRows: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>,
                                                     positions: UnsafePointer<Int32>, j: Int, c: Int) {
        for r in 0..<j {
            let dst = dRows + r * c, src = dOut + Int(positions[r]) * c
            for q in 0..<c { dst[q] += src[q] }
        }
    }
}
