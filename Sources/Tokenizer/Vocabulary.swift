// The tokenizer data of a model as plain values: what GGUF stores under
// `tokenizer.ggml.*` (see ggml's docs/gguf.md, "Tokenizer" keys). Tests build it
// from arrays; `Vocabulary(gguf:)` reads it from a model file. Flags that are
// absent stay `nil` here; `Tokenizer` applies llama.cpp's defaults per model kind.

/// The two tokenizer families this module implements.
public enum TokenizerKind: String, Sendable, Equatable {
    /// SentencePiece BPE with scores and byte fallback (`tokenizer.ggml.model = llama`).
    case sentencePiece = "llama"
    /// Byte-level BPE with ranked merges (`tokenizer.ggml.model = gpt2`).
    case byteLevelBPE = "gpt2"
}

/// Vocabulary data as found in model metadata, before any defaults are applied.
public struct Vocabulary: Sendable, Equatable {
    /// `tokenizer.ggml.model`.
    public var kind: TokenizerKind
    /// `tokenizer.ggml.pre` (byte-level BPE only); `nil` means llama.cpp's "default".
    public var preTokenizer: String?
    /// `tokenizer.ggml.tokens`: the text of each token, in id order.
    public var tokens: [String]
    /// `tokenizer.ggml.scores` (SentencePiece merge priorities); empty means all zero.
    public var scores: [Float]
    /// `tokenizer.ggml.token_type`; empty means all `.normal`.
    public var types: [TokenType]
    /// `tokenizer.ggml.merges` ("left right", rank = index), byte-level BPE only.
    public var merges: [String]
    /// `tokenizer.ggml.bos_token_id` etc.; `nil` when absent.
    public var bosID: Int32?
    public var eosID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    public var separatorID: Int32?
    /// `tokenizer.ggml.add_bos_token`, `add_eos_token`, `add_space_prefix`; `nil` when absent.
    public var addBOS: Bool?
    public var addEOS: Bool?
    public var addSpacePrefix: Bool?

    public init(kind: TokenizerKind, preTokenizer: String? = nil, tokens: [String],
                scores: [Float] = [], types: [TokenType] = [], merges: [String] = [],
                bosID: Int32? = nil, eosID: Int32? = nil, unknownID: Int32? = nil,
                paddingID: Int32? = nil, separatorID: Int32? = nil,
                addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil) {
        self.kind = kind
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.scores = scores
        self.types = types
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.separatorID = separatorID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }
}
