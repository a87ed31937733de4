// HDRec in the shared evaluation harness: ranks equal fusing the passes by hand,
// and a pass cache gives identical results for any fusion setting.
import Foundation
import Testing
import RecSys
@testable import HDRecInference

@Suite("HDRec scorer")
struct HDRecScorerTests {
    func dataset(items: Int) throws -> Dataset {
        try Dataset(name: "tiny", items: (0 ..< items).map { Item(id: "item\($0)", title: "T\($0)", brand: $0 % 2 == 0 ? "B" : "") },
                    userIDs: ["u0", "u1", "u2"], sequences: [[0, 1, 2, 3], [4, 5, 6], [7, 8, 0, 1, 2]])
    }

    @Test("harness ranks equal the hand-fused passes; catalog from a dataset")
    func ranks() throws {
        let f = try ModelFixture()
        let data = try dataset(items: f.model.itemCount)
        let catalog = try Catalog(dataset: data)
        #expect(catalog.items[1] == CatalogItem(id: "item1", title: "T1"))
        #expect(catalog.items[0].brand == "B")
        let p = FusionParameters(alpha: 0.6)
        let scorer = try HDRecScorer(model: f.model, dataset: data, fusion: .textDominant, parameters: p)
        let report = try Evaluator.evaluate(dataset: data, scorer: scorer, options: EvaluationOptions(batchSize: 2, showProgress: false))
        for split in [Split.valid, .test] {
            let result = try #require(report.result(split.rawValue))
            for u in 0 ..< data.numUsers {
                let s = try f.model.passScores(histories: [Array(data.history(u, for: split))])
                let fused = try Fusion.fuse(text: s.text[0], id: s.id[0], method: .textDominant, parameters: p)
                #expect(result.ranks[u] == RankingMetrics.rank(scores: fused.final, target: data.target(u, for: split)))
            }
        }
    }

    @Test("with a pass cache, changing fusion reruns no pass and matches a fresh scorer")
    func cache() throws {
        let f = try ModelFixture()
        let data = try dataset(items: f.model.itemCount)
        let cached = try HDRecScorer(model: f.model, dataset: data, fusion: .textPass, parameters: .init(alpha: 0.5), cachePasses: true)
        let opts = EvaluationOptions(showProgress: false)
        _ = try Evaluator.evaluate(dataset: data, scorer: cached, options: opts)
        let passes = f.decoder.received.count
        cached.fusion = .confidence
        cached.parameters = .init(alpha: 0.2, temperature: 0.5)
        let again = try Evaluator.evaluate(dataset: data, scorer: cached, options: opts)
        #expect(f.decoder.received.count == passes)
        let fresh = try HDRecScorer(model: f.model, dataset: data, fusion: .confidence, parameters: .init(alpha: 0.2, temperature: 0.5))
        let reference = try Evaluator.evaluate(dataset: data, scorer: fresh, options: opts)
        #expect(again.results.map(\.ranks) == reference.results.map(\.ranks))
    }

    @Test("a dataset of another size is refused")
    func mismatch() throws {
        let f = try ModelFixture()
        #expect(throws: HDRecInferenceError.self) { try HDRecScorer(model: f.model, dataset: try dataset(items: 12), fusion: .textDominant, parameters: .init(alpha: 0.5)) }
    }
}
