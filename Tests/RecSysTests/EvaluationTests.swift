// The shared evaluation harness: tie rule, metric values, exact averaging,
// history masking, metrics.json / ranks.tsv, the popularity baseline, and the
// paired t-test against values computed once with scipy 1.17.1:
//   2 * scipy.stats.t.sf(|t|, df), scipy.stats.t.cdf, scipy.special.betainc, scipy.stats.ttest_rel.
import Foundation
import Testing
@testable import RecSys

@Suite("Evaluation harness")
struct EvaluationTests {
    @Test("rank counts only strictly higher scores: ties go in the target's favour; a NaN target ranks last")
    func tieRule() {
        #expect(RankingMetrics.rank(scores: [0.5, 0.9, 0.5, 0.1], target: 0) == 1)
        #expect(RankingMetrics.rank(scores: [0.5, 0.9, 0.5, 0.1], target: 2) == 1)
        #expect(RankingMetrics.rank(scores: [1, 1, 1, 1], target: 3) == 0)
        #expect(RankingMetrics.rank(scores: [0.2, .nan, 0.3], target: 0) == 1)
        #expect(RankingMetrics.rank(scores: [0.2, .nan, 0.3], target: 1) == 2)
        #expect(RankingMetrics.rank(scores: [-.infinity, 0, 1], target: 1) == 1)
    }

    @Test("MRR is untruncated, Recall@K and NDCG@K follow the cut-off, averages are exact over users")
    func metricValues() {
        #expect(RankingMetrics.value("MRR", rank: 99) == 0.01)
        #expect(RankingMetrics.value("Recall@10", rank: 9) == 1)
        #expect(RankingMetrics.value("Recall@10", rank: 10) == 0)
        #expect(abs(RankingMetrics.value("NDCG@10", rank: 2) - 0.5) < 1e-15)
        #expect(RankingMetrics.value("NDCG@1", rank: 0) == 1)
        let m = Dictionary(uniqueKeysWithValues: RankingMetrics.summarize(ranks: [0, 1, 3, 100, 100]).map { ($0.name, $0.value) })
        #expect(abs(m["MRR"]! - (1 + 0.5 + 0.25 + 2.0 / 101) / 5) < 1e-15)
        #expect(m["Recall@5"] == 0.6)
        #expect(abs(m["NDCG@5"]! - (1 + 1 / log2(3.0) + 1 / log2(5.0)) / 5) < 1e-15)
        #expect(RankingMetrics.names == ["MRR", "Recall@1", "Recall@5", "Recall@10", "Recall@20", "Recall@50",
                                         "NDCG@1", "NDCG@5", "NDCG@10", "NDCG@20", "NDCG@50"])
    }

    func tinyDataset() throws -> Dataset {
        let items = (0..<6).map { Item(id: "i\($0)", title: "t\($0)") }
        return try Dataset(name: "t", items: items, userIDs: ["a", "b", "c"],
                           sequences: [[0, 1, 2, 3], [4, 5, 0, 1, 5], [2, 3, 4]])
    }

    @Test("the harness ranks each split's target, masks history (not the target) only when asked, and writes both files")
    func harness() throws {
        let d = try tinyDataset()
        // Scores: item index as score, so rank = number of larger indices.
        let scorer = ClosureScorer { users, _, out in
            for b in users.indices { for i in 0..<6 { out[b * 6 + i] = Float(i) } }
        }
        let report = try Evaluator.evaluate(dataset: d, scorer: scorer,
                                            options: EvaluationOptions(maskHistory: true, batchSize: 2, showProgress: false))
        #expect(report.results.map(\.name) == ["valid", "valid_masked", "test", "test_masked"])
        #expect(report.result("valid")?.ranks == [3, 4, 2])
        #expect(report.result("test")?.ranks == [2, 0, 1])
        // b: valid target 1 after history [4, 5, 0]: masking 4 and 5 leaves 2 and 3 above it.
        // b: test target 5 is also in its history, and the target itself is never masked.
        #expect(report.result("valid_masked")?.ranks == [3, 2, 2])
        #expect(report.result("test_masked")?.ranks == [2, 0, 1])
        let off = try Evaluator.evaluate(dataset: d, scorer: scorer, options: EvaluationOptions(showProgress: false))
        #expect(off.results.map(\.name) == ["valid", "test"])

        let dir = TempDir()
        try report.write(to: dir.path)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/metrics.json"))) as! [String: [String: Double]]
        #expect(Set(json.keys) == ["valid", "test", "valid_masked", "test_masked"])
        #expect(Set(json["test"]!.keys) == Set(RankingMetrics.names))
        #expect(abs(json["test"]!["MRR"]! - (1.0 / 3 + 1 + 0.5) / 3) < 1e-9)
        let ranks = try EvaluationReport.loadRanks(path: dir.path + "/ranks.tsv")
        #expect(ranks["valid"] == ["a": 3, "b": 4, "c": 2])
        #expect(try String(contentsOfFile: dir.path + "/ranks.tsv", encoding: .utf8).hasPrefix("user\tsplit\trank\na\tvalid\t3\n"))
    }

    @Test("targets tied with other items are counted and reported: a constant scorer ranks every target first, with a warning")
    func tiedTargets() throws {
        #expect(RankingMetrics.ties(scores: [0.5, 0.9, 0.5, 0.5], target: 0) == 2)
        #expect(RankingMetrics.ties(scores: [0.5, 0.9, 0.4], target: 0) == 0)
        #expect(RankingMetrics.ties(scores: [Float.nan, .nan], target: 0) == 0)
        let d = try tinyDataset()
        let constant = ClosureScorer { users, _, out in for i in 0 ..< users.count * 6 { out[i] = 0 } }
        let report = try Evaluator.evaluate(dataset: d, scorer: constant, options: EvaluationOptions(showProgress: false))
        let test = try #require(report.result("test"))
        #expect(test.ranks == [0, 0, 0] && test.metric("MRR") == 1)
        #expect(test.tiedTargets == 3 && test.mostTiedItems == 5)
        #expect(report.table().contains("warning: at test, 3 of 3 targets scored exactly the same as other items (up to 5)"))
        // Distinct scores: nothing tied, no warning.
        let distinct = ClosureScorer { users, _, out in
            for b in users.indices { for i in 0 ..< 6 { out[b * 6 + i] = Float(i) } }
        }
        let clean = try Evaluator.evaluate(dataset: d, scorer: distinct, options: EvaluationOptions(showProgress: false))
        #expect(clean.results.allSatisfy { $0.tiedTargets == 0 && $0.tieWarning == nil })
        #expect(!clean.table().contains("warning"))
    }

    @Test("popularity counts training items only and breaks count ties by item index")
    func popularity() throws {
        let d = try tinyDataset()
        let pop = PopularityScorer(dataset: d)
        // train parts: [0, 1], [4, 5, 0], [2]
        #expect(pop.counts == [2, 1, 1, 0, 1, 1])
        #expect(pop.itemScores == [6, 5, 4, 1, 3, 2])
    }

    @Test("the Student t p-values, CDF and incomplete beta match scipy")
    func studentT() {
        let cases: [(Double, Double, Double)] = [
            (2.0, 10, 0.07338803477074037), (0.5, 3, 0.651447964848151), (-3.2, 30, 0.0032386017119531312),
            (1.0, 1, 0.5000000000000001), (5.0, 200, 1.2501981277715407e-06), (0.1, 8316, 0.9203467359558298),
        ]
        for (t, df, p) in cases {
            #expect(abs(PairedTTest.twoSidedP(t: t, df: df) - p) <= 1e-10 * max(1, p) + 1e-14, "t=\(t) df=\(df)")
        }
        #expect(abs(PairedTTest.cdf(t: 1.5, df: 7.5) - 0.912759714706768) < 1e-10)
        #expect(abs(PairedTTest.cdf(t: -0.7, df: 4) - 0.2612500827967251) < 1e-10)
        #expect(abs(PairedTTest.regularizedIncompleteBeta(x: 0.3, a: 2.5, b: 0.5) - 0.018927124071945658) < 1e-12)
        #expect(abs(PairedTTest.regularizedIncompleteBeta(x: 0.9, a: 10, b: 3) - 0.889130022255) < 1e-10)
        #expect(abs(PairedTTest.regularizedIncompleteBeta(x: 0.999, a: 0.5, b: 0.5) - 0.9798649583666235) < 1e-10)
    }

    @Test("the paired t-test matches scipy.stats.ttest_rel and handles identical and constant-shift runs")
    func pairedTest() throws {
        let a = [0.1, 0.5, 0.3, 0.9, 0.0, 0.2, 0.7], b = [0.0, 0.4, 0.35, 0.6, 0.1, 0.1, 0.5]
        let r = try PairedTTest.test(a, b)
        #expect(abs(r.t - 1.7970251425779562) < 1e-10)
        #expect(abs(r.pValue - 0.12245586439572537) < 1e-10)
        #expect(try PairedTTest.test(a, a).pValue == 1)
        #expect(try PairedTTest.test([1, 2, 3, 4], [0.5, 1.5, 2.5, 3.5]).pValue == 0)
        #expect(throws: RecSysError.self) { _ = try PairedTTest.test([1], [2]) }
    }

    @Test("compare pairs two runs by user and split, and refuses runs over different users")
    func compareRuns() throws {
        let dir = TempDir()
        let a = try dir.write("a.tsv", "user\tsplit\trank\nu1\ttest\t0\nu2\ttest\t5\nu3\ttest\t20\n")
        let b = try dir.write("b.tsv", "user\tsplit\trank\nu3\ttest\t25\nu1\ttest\t1\nu2\ttest\t9\n")
        let rows = try RunComparison.compare(ranksA: a, ranksB: b)
        #expect(rows.count == RankingMetrics.names.count)
        let recall = rows.first { $0.metric == "Recall@5" }!
        #expect(recall.meanA == 1.0 / 3 && recall.meanB == 1.0 / 3)
        let mrr = rows.first { $0.metric == "MRR" }!
        #expect(mrr.meanA > mrr.meanB)
        let c = try dir.write("c.tsv", "user\tsplit\trank\nu1\ttest\t0\nu9\ttest\t5\nu3\ttest\t20\n")
        #expect(throws: RecSysError.self) { _ = try RunComparison.compare(ranksA: a, ranksB: c) }
        let bad = try dir.write("d.tsv", "user\tsplit\trank\nu1\ttest\tx\n")
        #expect(throws: RecSysError.malformedRecord(path: bad, line: 2, message: "expected user, split and a non-negative rank")) {
            _ = try RunComparison.compare(ranksA: bad, ranksB: b)
        }
    }
}
