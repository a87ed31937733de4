// `hdrec compare A B`: pair two runs' per-user ranks (ranks.tsv) by user and
// split, and test every metric with a paired t-test.

public enum RunComparison {
    /// One row of a comparison: a metric at a split, the two means and the test.
    public struct Row: Sendable {
        public var split: String
        public var metric: String
        public var meanA: Double
        public var meanB: Double
        public var users: Int
        public var test: PairedTTest.Result
    }

    /// Compares the splits present in both ranks files; users must match exactly per split.
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
            guard Set(ra.keys) == Set(rb.keys) else {
                let onlyA = Set(ra.keys).subtracting(rb.keys).count, onlyB = Set(rb.keys).subtracting(ra.keys).count
                throw RecSysError.mismatchedRuns("split '\(split)': \(onlyA) users only in \(ranksA), \(onlyB) only in \(ranksB)")
            }
            let users = ra.keys.sorted()
            for metric in RankingMetrics.names {
                let va = users.map { RankingMetrics.value(metric, rank: ra[$0]!) }
                let vb = users.map { RankingMetrics.value(metric, rank: rb[$0]!) }
                let t = try PairedTTest.test(va, vb)
                rows.append(Row(split: split, metric: metric, meanA: va.reduce(0, +) / Double(va.count),
                                meanB: vb.reduce(0, +) / Double(vb.count), users: users.count, test: t))
            }
        }
        return rows
    }
}
