// The inputs and outputs of a forward pass. A position takes either a token id (its
// row of token_embd) or a caller-supplied embedding row: HDRec's ID branch feeds
// projected SASRec vectors there, and its added tokens [SEQ]/[ALIGN] have embeddings
// held outside the GGUF. Several independent sequences go through one pass (the
// server batches requests); each brings its own KV cache.

/// What enters the decoder at one position.
public enum InputItem: Sendable, Equatable {
    /// A vocabulary token: the model's embedding row is looked up.
    case token(Int32)
    /// A ready-made embedding row of the model's width C, used as is.
    case embedding([Float])
}

extension Array where Element == InputItem {
    /// Wraps plain token ids.
    public init(tokens: [Int32]) { self = tokens.map { .token($0) } }
}

/// Which positions get vocabulary logits (the LM head is the most expensive single
/// matrix for small models, so ask only for what you need).
public enum LogitsSelection: Sendable, Equatable {
    case none
    /// The last position of each sequence (prompt scoring, generation).
    case last
    /// Every position.
    case all
}

/// Which positions' final hidden states a forward pass returns.
public enum HiddenSelection: Sendable, Equatable {
    /// Every new position ([T_s, C] per sequence).
    case all
    /// The last position of each sequence ([1, C]): HDRec reads only its last [SEQ], and
    /// the last layer then skips its queries, attention and feed-forward elsewhere.
    case last
}

/// One sequence of a batched forward pass: its new positions and its cache.
public struct SequenceInput {
    public var items: [InputItem]
    public var cache: KVCache
    public init(items: [InputItem], cache: KVCache) {
        self.items = items
        self.cache = cache
    }
}

/// An adapter chosen for one forward pass, with its user scale (llama.cpp's
/// `--lora-scaled`): the delta is `userScale · (alpha/r) · B(Ax)`.
public struct ActiveAdapter: Sendable {
    public var adapter: LoRAAdapter
    public var userScale: Float
    public init(_ adapter: LoRAAdapter, scale: Float = 1) {
        self.adapter = adapter
        self.userScale = scale
    }
}

/// The result for one sequence of a forward pass.
public struct SequenceOutput: Sendable {
    /// Positions of this sequence in this pass (T_s).
    public var count: Int
    /// Hidden states after the final RMSNorm (what HDRec's item projection reads): [T_s, C],
    /// or [1, C] (the last position) when the pass asked for `HiddenSelection.last`.
    public var hidden: [Float]
    /// [rows, V] logits for the positions `logitsSelection` asked for (0, 1 or T_s rows).
    public var logits: [Float]
    /// Rows in `logits`.
    public var logitRows: Int

    public init(count: Int, hidden: [Float], logits: [Float], logitRows: Int) {
        self.count = count
        self.hidden = hidden
        self.logits = logits
        self.logitRows = logitRows
    }

    /// The logits of the last selected row, or an empty array when none were computed.
    public var lastLogits: ArraySlice<Float> {
        guard logitRows > 0 else { return [] }
        let v = logits.count / logitRows
        return logits[(logitRows - 1) * v ..< logitRows * v]
    }
}
