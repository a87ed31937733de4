// What one branch forward of HDRecNetwork keeps for its backward (HDRecNetwork.swift).
import TrainingOps
import HDRecInference

/// Everything one branch forward keeps for its backward.
public final class BranchForward<T: TrainScalar> {
    public let branch: AdapterRole
    public let batch: SequenceBatch
    public let training: Bool
    public let seed: UInt64
    /// (N, I) IPL logits at the supervised positions, sequence after sequence.
    public let logits: Tensor<T>
    /// (N) target item of each logit row.
    public let targets: [Int32]
    /// Supervised rows per sequence (for per-user loss averaging).
    public let rowsPerSequence: [Int]
    /// Row (in M) of each logit row.
    let gatherRows: [Int]
    let positions: [Int32]
    let blockInputs: [LlamaBlockActivations<T>]
    /// (M, C) last block output, (M) its rstd, (M, C) final-norm output
    let last: Tensor<T>, lastRstd: Tensor<T>
    /// (N, C) gathered hidden states, (N, Hi) IPL pre-activations
    let hidden: Tensor<T>, iplSaved: Tensor<T>
    /// [SEQ]/[ALIGN] rows injected at these rows
    let seqRows: [Int32], alignRows: [Int32]
    /// ID branch: item slot rows, their SASRec inputs (J, 128) and projector pre-activations (J, Hp)
    let slotRows: [Int32], slotInputs: Tensor<T>?, projectorSaved: Tensor<T>?
    /// Anchored ID pass: the IPL's residual logits before the gate (N, I).
    var residual: Tensor<T>? = nil
    /// The lowest layer whose input gradient is needed (0, or the cut for a cut text branch).
    var lowestLayer = 0
    /// Dropout keys of the (M) token rows and the (N) IPL rows (DropoutRowKeys.swift); nil in eval mode.
    var tokenDropoutKeys: [UInt64]? = nil
    var iplDropoutKeys: [UInt64]? = nil

    init(branch: AdapterRole, batch: SequenceBatch, training: Bool, seed: UInt64, logits: Tensor<T>, targets: [Int32],
         rowsPerSequence: [Int], gatherRows: [Int], positions: [Int32], blockInputs: [LlamaBlockActivations<T>],
         last: Tensor<T>, lastRstd: Tensor<T>, hidden: Tensor<T>, iplSaved: Tensor<T>,
         seqRows: [Int32], alignRows: [Int32], slotRows: [Int32], slotInputs: Tensor<T>?, projectorSaved: Tensor<T>?) {
        self.branch = branch; self.batch = batch; self.training = training; self.seed = seed
        self.logits = logits; self.targets = targets; self.rowsPerSequence = rowsPerSequence
        self.gatherRows = gatherRows; self.positions = positions; self.blockInputs = blockInputs
        self.last = last; self.lastRstd = lastRstd; self.hidden = hidden; self.iplSaved = iplSaved
        self.seqRows = seqRows; self.alignRows = alignRows; self.slotRows = slotRows
        self.slotInputs = slotInputs; self.projectorSaved = projectorSaved
    }

    public var rowCount: Int { targets.count }
    public var tokenCount: Int { batch.lengths.reduce(0, +) }
}
