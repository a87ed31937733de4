// SASRec as a `RankingScorer` for the shared evaluation harness: the history
// before each split's target, truncated to the last `maxLength` items, scored
// against every item at the last position.
import TrainingOps

/// Scores all items for users from a trained SASRec.
public struct SASRecScorer: RankingScorer {
    public let model: SASRecModel<Float>
    public let dataset: Dataset

    public init(model: SASRecModel<Float>, dataset: Dataset) {
        self.model = model
        self.dataset = dataset
    }

    public func scores(users: [Int], split: Split, into out: UnsafeMutableBufferPointer<Float>) throws {
        let L = model.layout.config.maxLength
        let batch = SASRecBatch(sequences: users.map { dataset.history($0, for: split).suffix(L) })
        let s = model.scoreNext(batch)
        guard s.count == out.count else {
            throw RecSysError.shapeMismatch(name: "scores", expected: [users.count, dataset.numItems], found: [s.count])
        }
        for i in 0..<s.count { out[i] = s[i] }
    }
}
