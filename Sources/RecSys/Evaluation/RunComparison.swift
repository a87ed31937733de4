// `hdrec compare A B`: pair two runs' per-user ranks (ranks.tsv) by user and
// split, and test every metric with a paired t-test. When one run evaluated a user
// sample and the other all users (HDRec's `--eval-users N` against SASRec's full
// ranks.tsv), the pairs are the sample's users; runs whose users only overlap are refused.

public enum RunComparison {
    /// One row of a comparison: a metric at a split, the two means and the test.
    public struct Row: Sendable {
        public var split: String
        public var metric: String
        public var meanA: Double
        public var meanB: Double
        /// Users paired (present in both files at this split).
        public var users: Int
        /// Users of the larger file left out because the other file (a sample) lacks them.
        public var unpaired: Int
        public var test: PairedTTest.Result
    }

    /// Compares the splits present in both ranks files. Per split, the users of one file
    /// must be those of the other or a subset of them (a user sample); they are paired by user id.
    public static func compare(ranksA: String, ranksB: String) throws -> [Row] {
        let a = try EvaluationReport.loadRanks(path: ranksA)
        let b = try EvaluationReport.loadRanks(path: ranksB)
        let order = ["valid", "test", "valid_masked", "test_masked"]
        let splits = Set(a.keys).intersection(b.keys).sorted {
            (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1)
        }
        guard !splits.isEmpty else { throw RecSysError.mismatchedRuns("the two ranks files share no split") }
        var rows: [Row] = []
        for split in splits {
            let ra = a[split]!, rb = b[split]!
            let onlyA = Set(ra.keys).subtracting(rb.keys).count, onlyB = Set(rb.keys).subtracting(ra.keys).count
            guard onlyA == 0 || onlyB == 0 else {
                throw RecSysError.mismatchedRuns("split '\(split)': \(onlyA) users only in \(ranksA), \(onlyB) only in \(ranksB) (neither is a sample of the other)")
            }
            let users = (onlyA == 0 ? ra : rb).keys.sorted()
            for metric in RankingMetrics.names {
                let va = users.map { RankingMetrics.value(metric, rank: ra[$0]!) }
                let vb = users.map { RankingMetrics.value(metric, rank: rb[$0]!) }
                let t = try PairedTTest.test(va, vb)
                rows.append(Row(split: split, metric: metric, meanA: va.reduce(0, +) / Double(va.count),
                                meanB: vb.reduce(0, +) / Double(vb.count), users: users.count, unpaired: onlyA + onlyB, test: t))
            }
        }
        return rows
    }
}
