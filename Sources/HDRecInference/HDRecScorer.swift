// HDRec as a scorer of RecSys's evaluation harness (full ranking, leave-one-out):
// the same passes, IPL and fusion as `recommend`, written as full score rows.
// The passes come from any HDRecPassScoring: the served HDRecModel (`hdrec
// evaluate`) or the trainer's network in eval mode (validation during training).
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
    /// Where the two passes come from.
    public let passes: any HDRecPassScoring
    public let dataset: Dataset
    public var fusion: FusionMethod
    public var parameters: FusionParameters
    /// Keep each user's two pass rows (memory: 2 · I floats per user and split).
    public let cachePasses: Bool
    private var cache: [Split: [Int: (text: [Float], id: [Float])]] = [:]

    /// Scores with the served model.
    public convenience init(model: HDRecModel, dataset: Dataset, fusion: FusionMethod, parameters: FusionParameters,
                            cachePasses: Bool = false) throws {
        try self.init(passes: model, dataset: dataset, fusion: fusion, parameters: parameters, cachePasses: cachePasses)
    }

    /// Scores with any source of the two passes.
    public init(passes: any HDRecPassScoring, dataset: Dataset, fusion: FusionMethod, parameters: FusionParameters,
                cachePasses: Bool = false) throws {
        guard dataset.numItems == passes.itemCount else {
            throw HDRecInferenceError.inconsistent(field: "dataset items vs model items", expected: "\(passes.itemCount)", found: "\(dataset.numItems)")
        }
        try parameters.validate()
        self.passes = passes
        self.dataset = dataset
        self.fusion = fusion
        self.parameters = parameters
        self.cachePasses = cachePasses
    }

    /// Both pass rows of each user at `split` (from the cache when kept).
    public func passRows(users: [Int], split: Split) throws -> [(text: [Float], id: [Float])] {
        let missing = users.filter { cache[split]?[$0] == nil }
        var fresh: [Int: (text: [Float], id: [Float])] = [:]
        if !missing.isEmpty {
            let s = try passes.passScores(histories: missing.map { Array(dataset.history($0, for: split)) })
            guard s.text.count == missing.count, s.id.count == missing.count else {
                throw HDRecInferenceError.decoder(pass: "both", underlying: "returned \(s.text.count)/\(s.id.count) rows for \(missing.count) users")
            }
            for (b, u) in missing.enumerated() { fresh[u] = (s.text[b], s.id[b]) }
            if cachePasses { cache[split, default: [:]].merge(fresh) { $1 } }
        }
        return try users.map { u in
            guard let row = fresh[u] ?? cache[split]?[u] else {
                throw HDRecInferenceError.decoder(pass: "both", underlying: "no pass rows for user \(u)")
            }
            return row
        }
    }

    public func scores(users: [Int], split: Split, into out: UnsafeMutableBufferPointer<Float>) throws {
        let n = passes.itemCount
        let rows = try passRows(users: users, split: split)
        for (b, row) in rows.enumerated() {
            guard row.text.count == n, row.id.count == n else {
                throw HDRecInferenceError.decoder(pass: "both", underlying: "a pass row has \(row.text.count)/\(row.id.count) values, expected \(n)")
            }
            let fused = try Fusion.fuse(text: row.text, id: row.id, method: fusion, parameters: parameters)
            for i in 0 ..< n { out[b * n + i] = fused.final[i] }
        }
    }
}
