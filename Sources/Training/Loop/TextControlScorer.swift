// The no-LLM control (docs/training.md "Recipes and the shipped configuration"): SASRec plus item-text similarity, with no decoder pass.
//
//   score(i) = z(SASRec(u))_i + w · z(cos(E_text(i), E_text(last item of u)))_i
//
// z standardises a row over the items (mean 0, standard deviation 1). E_text is the item-text
// table the factorized head carries (each item's text through the frozen base, mean-pooled,
// centred), so the control sees the same item representations as HDRec. If HDRec beats it,
// the gain comes from the LLM passes, not from having SASRec and item text side by side.
// w is chosen on validation (`ModelEvaluation`, grid `weights`).
import Foundation
import RecSys
import TrainingOps

public struct TextControlScorer: RankingScorer {
    public static let weights: [Float] = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2]

    let sasrec: SASRecScorer
    /// (I, C) unit rows.
    let text: [Float]
    let width: Int
    let dataset: Dataset
    public var weight: Float

    /// - Parameter itemTable: E (I, K) of a factorized head; its last K − `sasrecWidth` columns are E_text.
    public init(sasrec: SASRecModel<Float>, dataset: Dataset, itemTable: [Float], sasrecWidth d: Int, weight: Float = 0) throws {
        let n = dataset.numItems
        guard n > 0, itemTable.count % n == 0, itemTable.count / n > d else {
            throw HDRecTrainingError.invalidConfiguration(field: "control", reason: "the item table holds \(itemTable.count) values for \(n) items and SASRec width \(d)")
        }
        let k = itemTable.count / n, c = k - d
        var rows = [Float](repeating: 0, count: n * c)
        for i in 0 ..< n {
            var norm: Float = 0
            for j in 0 ..< c { let v = itemTable[i * k + d + j]; rows[i * c + j] = v; norm += v * v }
            let inv = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0 ..< c { rows[i * c + j] *= inv }
        }
        self.sasrec = SASRecScorer(model: sasrec, dataset: dataset)
        self.text = rows; self.width = c; self.dataset = dataset; self.weight = weight
    }

    public func scores(users: [Int], split: Split, into out: UnsafeMutableBufferPointer<Float>) throws {
        let n = dataset.numItems, c = width
        try sasrec.scores(users: users, split: split, into: out)
        var similarity = [Float](repeating: 0, count: n)
        for (b, u) in users.enumerated() {
            let row = UnsafeMutableBufferPointer(rebasing: out[(b * n) ..< ((b + 1) * n)])
            Self.standardize(row)
            guard weight != 0, let last = dataset.history(u, for: split).last else { continue }
            text.withUnsafeBufferPointer { t in
                for i in 0 ..< n {
                    var dot: Float = 0
                    for j in 0 ..< c { dot += t[i * c + j] * t[last * c + j] }
                    similarity[i] = dot
                }
            }
            similarity.withUnsafeMutableBufferPointer { Self.standardize($0) }
            for i in 0 ..< n { row[i] += weight * similarity[i] }
        }
    }

    static func standardize(_ v: UnsafeMutableBufferPointer<Float>) {
        var mean = 0.0, sq = 0.0
        for x in v { mean += Double(x) }
        mean /= Double(max(1, v.count))
        for x in v { sq += (Double(x) - mean) * (Double(x) - mean) }
        let sd = (sq / Double(max(1, v.count))).squareRoot()
        let scale = sd > 0 ? 1 / sd : 0
        for i in v.indices { v[i] = Float((Double(v[i]) - mean) * scale) }
    }
}
