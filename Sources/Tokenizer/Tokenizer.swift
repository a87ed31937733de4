// The tokenizer of a GGUF model: SentencePiece BPE (`tokenizer.ggml.model =
// llama`) or byte-level BPE (`gpt2`), producing exactly llama.cpp's ids
// (llama-vocab.cpp `llama_vocab::impl::tokenize`). One value holds the lookup
// tables, built once; encoding allocates only per call, so one tokenizer can be
// shared across threads.
//
// Encoding pipeline:
//   bytes -> special-token split (SpecialTokenSplitter)
//         -> per text fragment:
//              SentencePiece: optional space prefix, ' ' -> "▁", SentencePieceEncoder
//              byte-level BPE: lenient UTF-8 decode, PreTokenizer, BytePairEncoder per piece
// Decoding renders each token's piece (TokenDecoding.swift).

/// A tokenizer built from model vocabulary data. `Sendable`: share one instance.
public struct Tokenizer: Sendable {
    /// SentencePiece or byte-level BPE.
    public let kind: TokenizerKind
    /// The byte-level BPE pre-tokenizer (`nil` for SentencePiece).
    public let preTokenizer: PreTokenizer?
    /// Beginning-of-sequence id (`nil` if the vocabulary has none).
    public let bosID: Int32?
    /// End-of-sequence id (`nil` if the vocabulary has none).
    public let eosID: Int32?
    /// Unknown-token id, padding id, separator id (`nil` when absent).
    public let unknownID: Int32?
    public let paddingID: Int32?
    public let separatorID: Int32?
    /// The model's `add_bos_token` (llama.cpp default: true for SentencePiece and
    /// Llama 3 BPE, false for other BPE). Callers decide whether to pass `addBOS`.
    public let addBOSByDefault: Bool
    /// The model's `add_eos_token` (default false).
    public let addEOSByDefault: Bool
    /// The model's `add_space_prefix` (default true for SentencePiece, false for
    /// BPE). SentencePiece encoding prefixes a space to text at the start and after
    /// each special token; decoding drops one leading space. BPE encoding ignores it.
    public let addSpacePrefix: Bool
    /// Tokens that end generation: EOS plus end-of-turn tokens found by name
    /// ("<|im_end|>", "<|eot_id|>", ...), as llama.cpp collects them.
    public private(set) var endOfGenerationIDs: Set<Int32>

    var table: TokenTable
    var pieces: [[UInt8]]
    private var bpe: BytePairModel?
    private var splitter: SpecialTokenSplitter
    /// SentencePiece byte fallback: id of <0xXX> for each byte (or of the byte as a one-character token, else UNK).
    private var byteTokens: [Int32]
    let cleanSpaces: Bool

    /// Number of tokens, including any added with `addSpecialTokens`.
    public var vocabularySize: Int { table.count }

    /// Builds a tokenizer, applying llama.cpp's defaults for absent fields.
    public init(vocabulary v: Vocabulary) throws {
        guard !v.tokens.isEmpty else { throw TokenizerError.emptyVocabulary }
        let n = v.tokens.count
        if !v.scores.isEmpty && v.scores.count < n {
            throw TokenizerError.lengthMismatch(key: "tokenizer.ggml.scores", expected: n, found: v.scores.count)
        }
        if !v.types.isEmpty && v.types.count < n {
            throw TokenizerError.lengthMismatch(key: "tokenizer.ggml.token_type", expected: n, found: v.types.count)
        }
        var types = v.types.isEmpty ? [TokenType](repeating: .normal, count: n) : Array(v.types.prefix(n))
        // llama.cpp forces end-of-turn tokens found by name to be control tokens.
        var eog: Set<Int32> = []
        for (i, text) in v.tokens.enumerated() where Self.endOfGenerationNames.contains(text) {
            eog.insert(Int32(i))
            if types[i] != .control { types[i] = .control }
        }
        table = try TokenTable(tokens: v.tokens, types: types, scores: v.scores)
        kind = v.kind

        func valid(_ id: Int32?) -> Int32? {
            guard let id, id >= 0, Int(id) < n else { return nil }
            return id
        }
        // Defaults from llama.cpp `llama_vocab::impl::load`, replaced by metadata ids in range.
        let defaultBOS: Int32?, defaultEOS: Int32?, defaultUNK: Int32?
        let pre: PreTokenizer?
        switch v.kind {
        case .sentencePiece:
            pre = nil
            (defaultBOS, defaultEOS, defaultUNK) = (1, 2, 0)
            addBOSByDefault = v.addBOS ?? true
            addSpacePrefix = v.addSpacePrefix ?? true
            cleanSpaces = false
        case .byteLevelBPE:
            guard let p = PreTokenizer(name: v.preTokenizer) else {
                throw TokenizerError.unsupportedPreTokenizer(v.preTokenizer ?? "")
            }
            pre = p
            (defaultBOS, defaultEOS, defaultUNK) = (11, 11, nil)
            addBOSByDefault = v.addBOS ?? p.addsBOSByDefault
            addSpacePrefix = v.addSpacePrefix ?? false
            cleanSpaces = p.cleansSpaces
        }
        preTokenizer = pre
        addEOSByDefault = v.addEOS ?? false
        bosID = valid(v.bosID) ?? valid(defaultBOS)
        eosID = valid(v.eosID) ?? valid(defaultEOS)
        unknownID = valid(v.unknownID) ?? valid(defaultUNK)
        paddingID = valid(v.paddingID)
        separatorID = valid(v.separatorID)
        if addBOSByDefault && bosID == nil {
            throw TokenizerError.missingSpecialToken(flag: "tokenizer.ggml.add_bos_token", idKey: "tokenizer.ggml.bos_token_id")
        }
        if addEOSByDefault && eosID == nil {
            throw TokenizerError.missingSpecialToken(flag: "tokenizer.ggml.add_eos_token", idKey: "tokenizer.ggml.eos_token_id")
        }
        if let eos = eosID { eog.insert(eos) }
        endOfGenerationIDs = eog

        if v.kind == .byteLevelBPE {
            bpe = try BytePairModel(merges: v.merges, table: table)
        } else {
            bpe = nil
        }
        splitter = SpecialTokenSplitter(table: table)
        let hex = Array("0123456789ABCDEF".utf8)
        let table = table
        let unk = unknownID ?? -1
        byteTokens = (0..<256).map { b in
            let name: [UInt8] = Array("<0x".utf8) + [hex[b >> 4], hex[b & 15], UInt8(ascii: ">")]
            return table.id(of: name[...]) ?? table.id(of: [UInt8(b)][...]) ?? unk
        }
        pieces = []
        pieces = (0..<n).map { renderPiece(Int32($0)) }
    }

    /// Token texts llama.cpp treats as end of generation (llama-vocab.cpp, `special_eog_ids`).
    static let endOfGenerationNames: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
        "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    ]

    // MARK: - Encoding

    /// Tokenizes `text`. No BOS/EOS unless asked (and only if the vocabulary has
    /// them: `bosID`/`eosID` non-nil); special-token text (e.g.
    /// "<|im_start|>") becomes its token only with `parseSpecial` (user-defined
    /// tokens always do, as in llama.cpp).
    public func encode(_ text: String, addBOS: Bool = false, addEOS: Bool = false,
                       parseSpecial: Bool = false) -> [Int32] {
        encode(bytes: Array(text.utf8), addBOS: addBOS, addEOS: addEOS, parseSpecial: parseSpecial)
    }

    /// Tokenizes raw bytes; invalid UTF-8 is accepted and handled as llama.cpp does
    /// (byte fallback for SentencePiece, U+FFFD per invalid byte for byte-level BPE).
    public func encode(bytes: [UInt8], addBOS: Bool = false, addEOS: Bool = false,
                       parseSpecial: Bool = false) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 4)
        if addBOS, let bos = bosID { output.append(bos) }
        let fragments = splitter.split(bytes, parseSpecial: parseSpecial)
        switch kind {
        case .sentencePiece:
            var previousWasSpecial = true
            for fragment in fragments {
                switch fragment {
                case let .text(range):
                    var escaped: [UInt8] = []
                    escaped.reserveCapacity(range.count + 8)
                    if addSpacePrefix && previousWasSpecial { escaped.append(contentsOf: [0xE2, 0x96, 0x81]) }
                    for b in bytes[range] {
                        if b == 0x20 { escaped.append(contentsOf: [0xE2, 0x96, 0x81]) } else { escaped.append(b) }
                    }
                    SentencePieceEncoder.encode(escaped, table: table, byteTokens: byteTokens, into: &output)
                    previousWasSpecial = false
                case let .token(id):
                    output.append(id)
                    previousWasSpecial = true
                }
            }
        case .byteLevelBPE:
            guard let bpe, let pre = preTokenizer else { break }
            var word: [UInt8] = []
            for fragment in fragments {
                switch fragment {
                case let .text(range):
                    let cps = LenientUTF8.decode(bytes[range])
                    var start = 0
                    for length in pre.split(cps) {
                        word.removeAll(keepingCapacity: true)
                        for cp in cps[start..<(start + length)] { LenientUTF8.append(cp, to: &word) }
                        BytePairEncoder.encode(piece: word[...], model: bpe, table: table,
                                               ignoreMerges: pre.ignoresMerges, into: &output)
                        start += length
                    }
                case let .token(id):
                    output.append(id)
                }
            }
        }
        if addEOS, let eos = eosID { output.append(eos) }
        return output
    }

    // MARK: - Vocabulary access

    /// The id of the token whose text is exactly `text`, if any.
    public func tokenID(_ text: String) -> Int32? { table.id(of: Array(text.utf8)[...]) }

    /// The stored text of token `id` (e.g. "▁Hello", "Ġworld", "<0x0A>"); empty for an invalid id.
    public func tokenText(_ id: Int32) -> String {
        guard id >= 0, Int(id) < table.count else { return "" }
        return String(decoding: table.texts[Int(id)], as: UTF8.self)
    }

    /// The type of token `id`, or `nil` for an invalid id.
    public func tokenType(_ id: Int32) -> TokenType? {
        guard id >= 0, Int(id) < table.count else { return nil }
        return table.types[Int(id)]
    }

    /// The SentencePiece score of token `id` (0 for BPE vocabularies and invalid ids).
    public func score(_ id: Int32) -> Float {
        guard id >= 0, Int(id) < table.count else { return 0 }
        return table.scores[Int(id)]
    }

    // MARK: - Added tokens

    /// Adds special tokens (e.g. "[SEQ]", "[ALIGN]") as control tokens with ids
    /// after the existing vocabulary, in order, and returns their ids. A text that
    /// is already a token keeps its id (so calling this twice is harmless) and is
    /// made matchable as special text. Added tokens are recognised in input only
    /// with `parseSpecial: true`; empty texts are ignored (id -1).
    @discardableResult
    public mutating func addSpecialTokens(_ texts: [String]) -> [Int32] {
        texts.map { text in
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty else { return -1 }
            if let existing = table.id(of: bytes[...]) {
                let type = table.types[Int(existing)]
                if !(type == .control || type == .userDefined || type == .unknown) {
                    splitter.add(id: existing, text: bytes, type: .control)
                }
                return existing
            }
            let id = Int32(table.count)
            // Cannot throw: the text was just checked to be absent.
            try? table.append(bytes, type: .control, score: 0)
            bpe?.tokenAdded(text: bytes, id: id)
            splitter.add(id: id, text: bytes, type: .control)
            pieces.append(renderPiece(id))
            return id
        }
    }
}
