// RowWeights: the per-row weights that turn a sum of row losses into the wanted average.
//
// The paper averages Eqs. 9 and 11 over each user's positions, then over users (HDRec's
// default); the public code averages over all supervised positions in the batch
// (docs/public-code.md §5.2-5.3, an option). Both are just weights on rows.

/// Row-weight builders for SoftmaxCrossEntropy and KLDivergence.
public enum RowWeights {
    /// w_n = 1/N: PyTorch's mean / `batchmean` over all N rows.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func batchMean<T: TrainScalar>(rows: Int, as: T.Type = T.self) -> [T] {
        rows == 0 ? [] : [T](repeating: 1 / T(rows), count: rows)
    }

    /// w_n = 1 / (|S_u| · U) for a row of group u, rows laid out group after group.
    /// - Parameter groupSizes: rows per group (user), in row order; empty groups are skipped.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func perGroupMean<T: TrainScalar>(groupSizes: [Int], as: T.Type = T.self) -> [T] {
        let groups = groupSizes.filter { $0 > 0 }.count
        var w: [T] = []
        w.reserveCapacity(groupSizes.reduce(0, +))
        for size in groupSizes where size > 0 {
            w.append(contentsOf: repeatElement(1 / (T(size) * T(groups)), count: size))
        }
        return w
    }
}
