// SASRec hyper-parameters. Defaults follow the issue and RecBole's SASRec as
// run for the peer figures (docs/peers.md): hidden 128 (the paper's CF
// embedding size), 2 blocks, 2 heads, inner 256, max length 50, dropout 0.5,
// GELU, LayerNorm eps 1e-12, init N(0, 0.02), Adam lr 1e-3, CE loss.

/// The training loss.
public enum SASRecLoss: String, Sendable, CaseIterable {
    /// Full softmax over all items (RecBole's `loss_type: CE`).
    case ce
    /// Binary cross-entropy with one uniformly sampled negative per position (the original SASRec).
    case bce
}

/// Architecture and training settings.
public struct SASRecConfig: Sendable, Equatable {
    public var hidden = 128
    public var blocks = 2
    public var heads = 2
    public var inner = 256
    public var maxLength = 50
    public var hiddenDropout = 0.5
    public var attentionDropout = 0.5
    public var layerNormEps = 1e-12
    public var initStd = 0.02
    public var loss: SASRecLoss = .ce
    public var learningRate = 1e-3
    public var weightDecay = 0.0
    public var batchSize = 128
    public var maxEpochs = 200
    public var patience = 10
    /// Stop after this many optimizer steps (mid-epoch if need be; that epoch is still
    /// evaluated) and return the parameters of the last step instead of the best epoch's.
    /// nil: train until early stopping or maxEpochs.
    public var maxSteps: Int? = nil
    public var seed: UInt64 = 2020
    /// Each batch is cut into this many micro-shards whatever the number of ranks, whose gradients
    /// are summed in Double (Distributed's GradientAccumulator): the same count at 1 and N ranks
    /// gives the same parameters. At most this many ranks have work, so more ranks need more.
    /// 2, not HDRec's 8: every micro-shard's backward writes the whole item table's gradient
    /// (556,160 values on Scientific) and the fold reads it again, and at 8 micro-shards of a
    /// 128-sequence batch that memory traffic cost about 15 % of an epoch (2 to 5 % at 2).
    public var microShards = 2
    public init() {}
}
