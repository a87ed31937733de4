// The denominators of a data-parallel step's losses. Each rank computes its shard of a global
// batch (docs/scaling.md) but must weight its rows as the single-process step would weight them
// in the whole batch: a row of user u weighs 1 / (|S_u| · U) with U the users of the GLOBAL
// batch ('users' average), or 1 / N with N the global batch's supervised rows ('positions').
// Every rank builds the whole global batch's prompts, so it counts these locally: the shards'
// weighted sums then add up, over an all-reduce, to the single-process loss and gradient.
import TrainingOps
import HDRecInference

/// The groups (sequences with at least one supervised row) and rows a loss averages over.
public struct LossCounts: Sendable, Equatable {
    public var groups: Int
    public var rows: Int
    /// All sequences, supervised or not: a phase runs on every rank when the global batch has any.
    public var sequences: Int
    public init(groups: Int, rows: Int, sequences: Int? = nil) {
        self.groups = groups; self.rows = rows; self.sequences = sequences ?? groups
    }

    /// The counts of sequences with these supervised rows each.
    public init(rowsPerSequence: [Int]) {
        groups = rowsPerSequence.filter { $0 > 0 }.count
        rows = rowsPerSequence.reduce(0, +)
        sequences = rowsPerSequence.count
    }
}

/// A global batch's counts for each branch's CE and for the KL between the branches.
public struct GlobalLossCounts: Sendable, Equatable {
    public var text: LossCounts
    public var id: LossCounts
    /// The sequences both branches have (users first, then the items both sides have): the KL's rows.
    public var shared: LossCounts

    public init(text: LossCounts, id: LossCounts, shared: LossCounts) {
        self.text = text; self.id = id; self.shared = shared
    }

    /// The counts of `batch` (the whole global batch).
    public init(_ batch: TrainingBatch) {
        let text = batch.textPrompts.map(\.supervision.count), id = batch.idPrompts.map(\.supervision.count)
        self.text = LossCounts(rowsPerSequence: text)
        self.id = LossCounts(rowsPerSequence: id)
        shared = LossCounts(rowsPerSequence: Array(text.prefix(min(text.count, id.count))))
    }

    public func ce(_ branch: AdapterRole) -> LossCounts { branch == .text ? text : id }
}
