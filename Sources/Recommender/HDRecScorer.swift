// HDRec as a scorer of RecSys's evaluation harness (full ranking, leave-one-out):
// the same passes, IPL and fusion as `recommend`, written as full score rows.
// Pass logits can be kept per user so that a sweep over α and fusion methods
// (the paper's Fig. 6, choosing α on validation) runs the decoder once.
import Foundation
import RecSys

extension Catalog {
    /// The catalog of a RecSys dataset, in its item order (= IPL order); empty fields are omitted.
    public init(dataset: Dataset) throws {
        func opt(_ s: String) -> String? { s.isEmpty ? nil : s }
        try self.init(items: dataset.items.map {
            CatalogItem(id: $0.id, title: $0.title, brand: opt($0.brand), categories: opt($0.categories), description: opt($0.description))
        }, source: "dataset \(dataset.name)")
    }
}

/// Scores users of `dataset` with an HDRec model, one fusion setting at a time.
public final class HDRecScorer: RankingScorer, @unchecked Sendable {
    public let model: HDRecModel
    public let dataset: Dataset
    public var fusion: FusionMethod
    public var parameters: FusionParameters
    /// Keep each user's two pass rows (memory: 2 · I floats per user and split).
    public let cachePasses: Bool
    private var cache: [Split: [Int: (text: [Float], id: [Float])]] = [:]

    public init(model: HDRecModel, dataset: Dataset, fusion: FusionMethod, parameters: FusionParameters, cachePasses: Bool = false) throws {
        guard dataset.numItems == model.itemCount else {
            throw RecommenderError.inconsistent(field: "dataset items vs model items", expected: "\(model.itemCount)", found: "\(dataset.numItems)")
        }
        try parameters.validate()
        self.model = model
        self.dataset = dataset
        self.fusion = fusion
        self.parameters = parameters
        self.cachePasses = cachePasses
    }

    public func scores(users: [Int], split: Split, into out: UnsafeMutableBufferPointer<Float>) throws {
        let n = model.itemCount
        let missing = users.filter { cache[split]?[$0] == nil }
        if !missing.isEmpty {
            let s = try model.passScores(histories: missing.map { Array(dataset.history($0, for: split)) })
            var rows = cache[split] ?? [:]
            for (b, u) in missing.enumerated() { rows[u] = (s.text[b], s.id[b]) }
            cache[split] = rows
        }
        for (b, u) in users.enumerated() {
            guard let row = cache[split]?[u] else { continue }
            let fused = try Fusion.fuse(text: row.text, id: row.id, method: fusion, parameters: parameters)
            for i in 0 ..< n { out[b * n + i] = fused.final[i] }
        }
        if !cachePasses { cache[split] = [:] }
    }
}
