// Builds the token sequences of HDRec's three tasks exactly as the public code
// does (docs/public-code.md §2.1-2.4; paper §3.2.1, §3.2.2, §3.3.1):
//   T1 (alignment):  P_i ++ text(i) ++ [ALIGN]             → item i at [ALIGN]
//   T2 (text):       P_u ++ Σ_k (text(h_k) ++ [SEQ])       → h_{k+1} at each [SEQ]
//   T3 (ID):         P_u ++ Σ_k (⟨ID(h_k)⟩ ++ [SEQ])        → the same targets
// No BOS anywhere, no separator around [SEQ], and [SEQ]/[ALIGN] inside the
// instructions are the special tokens (unsupervised). The history is cut to the
// last `maxItems`, then the oldest items are dropped to fit the token budget;
// T3 uses exactly the items T2 kept, so rows align one to one.

/// Builds prompts over a fixed catalog; immutable and shareable across threads.
public struct PromptBuilder: Sendable {
    public let configuration: PromptConfiguration
    public let itemText: ItemTextTokens
    /// Id of the `[SEQ]` special token.
    public let seqToken: Int32
    /// Id of the `[ALIGN]` special token.
    public let alignToken: Int32
    /// Tokens of P_u (tasks 2 and 3).
    public let userPrefix: [Int32]
    /// Tokens of P_i (task 1).
    public let itemPrefix: [Int32]

    /// The token id written at item slots. The decoder takes the slot's embedding
    /// row from the caller and never looks this id up.
    public static let itemSlotToken: Int32 = 0

    /// Tokenizes the instructions and checks that `[SEQ]` and `[ALIGN]` are
    /// single special tokens of `tokenizer`.
    public init(tokenizer: some PromptTokenizer, itemText: ItemTextTokens, configuration: PromptConfiguration) throws {
        try configuration.validate()
        func single(_ text: String) throws -> Int32 {
            let t: [Int32]
            do { t = try tokenizer.promptTokens(text, parseSpecial: true) } catch {
                throw HDRecInferenceError.tokenization(text: text, underlying: "\(error)")
            }
            guard t.count == 1 else {
                throw HDRecInferenceError.tokenization(text: text, underlying:
                    "expected one special token, got \(t.count) tokens \(t): register [SEQ] and [ALIGN] as special tokens first")
            }
            return t[0]
        }
        func encode(_ text: String) throws -> [Int32] {
            do { return try tokenizer.promptTokens(text, parseSpecial: true) } catch {
                throw HDRecInferenceError.tokenization(text: text, underlying: "\(error)")
            }
        }
        self.configuration = configuration
        self.itemText = itemText
        self.seqToken = try single(PromptConfiguration.seqToken)
        self.alignToken = try single(PromptConfiguration.alignToken)
        self.userPrefix = try encode(configuration.userInstruction)
        self.itemPrefix = try encode(configuration.itemInstruction)
    }

    /// Convenience: tokenizes the catalog, then builds.
    public init(tokenizer: some PromptTokenizer, catalog: Catalog, configuration: PromptConfiguration = .init()) throws {
        let text = try ItemTextTokens(catalog: catalog, tokenizer: tokenizer, configuration: configuration)
        try self.init(tokenizer: tokenizer, itemText: text, configuration: configuration)
    }

    public var itemCount: Int { itemText.count }

    private func check(_ item: Int) throws {
        guard item >= 0, item < itemText.count else {
            throw HDRecInferenceError.itemOutOfRange(index: item, itemCount: itemText.count)
        }
    }

    /// The history items a user prompt keeps, oldest first: the last `maxItems` (with a
    /// `windowStep` above 1, the oldest dropped in blocks of that many), then, walking from the most recent, items while their text tokens total
    /// strictly less than `maxTokens` (data.py L121-143). The most recent item is
    /// always kept, so a prompt is never empty.
    public func selectHistory(_ history: [Int]) throws -> [Int] {
        guard !history.isEmpty else { throw HDRecInferenceError.emptyHistory }
        for item in history { try check(item) }
        let excess = max(0, history.count - configuration.maxItems)
        let step = min(max(1, configuration.windowStep), configuration.maxItems)
        let recent = history.dropFirst((excess + step - 1) / step * step)
        var kept: [Int] = []
        var total = 0
        for item in recent.reversed() {
            total += itemText.tokens[item].count
            if total >= configuration.maxTokens, !kept.isEmpty { break }
            kept.append(item)
        }
        return kept.reversed()
    }

    /// Tasks 2 and 3 for one history. With a `label` (training), every `[SEQ]` is
    /// supervised with the next item and the last one with the label; without it
    /// (inference), the last `[SEQ]` is only the read position.
    public func userPrompts(history: [Int], label: Int? = nil) throws -> UserPrompts {
        if let label { try check(label) }
        let items = try selectHistory(history)
        var textTokens = userPrefix
        var idTokens = userPrefix
        var slots: [ItemSlot] = []
        var textSeq: [Int] = []
        var idSeq: [Int] = []
        for item in items {
            textTokens += itemText.tokens[item]
            textTokens.append(seqToken)
            textSeq.append(textTokens.count - 1)
            slots.append(ItemSlot(position: idTokens.count, item: item))
            idTokens.append(Self.itemSlotToken)
            idTokens.append(seqToken)
            idSeq.append(idTokens.count - 1)
        }
        // Targets: new_item_seq[1:] + [label] (data.py L145).
        let targets: [Int?] = Array(items.dropFirst()).map { Optional($0) } + [label]
        func supervision(_ positions: [Int]) -> [Supervision] {
            zip(positions, targets).compactMap { p, t in t.map { Supervision(position: p, target: $0) } }
        }
        let text = PromptSequence(tokens: textTokens, itemSlots: [], supervision: supervision(textSeq),
                                  readPosition: textTokens.count - 1, prefixLength: userPrefix.count, items: items)
        let id = PromptSequence(tokens: idTokens, itemSlots: slots, supervision: supervision(idSeq),
                                readPosition: idTokens.count - 1, prefixLength: userPrefix.count, items: items)
        return UserPrompts(text: text, id: id)
    }

    /// Task 1: P_i ++ text(i) ++ [ALIGN], supervised at [ALIGN] with item i.
    public func alignmentPrompt(item: Int) throws -> PromptSequence {
        try check(item)
        let tokens = itemPrefix + itemText.tokens[item] + [alignToken]
        return PromptSequence(tokens: tokens, itemSlots: [], supervision: [Supervision(position: tokens.count - 1, target: item)],
                              readPosition: tokens.count - 1, prefixLength: itemPrefix.count, items: [])
    }

    /// The public code's extra ID alignment task (option): P_i ++ ⟨ID(i)⟩ ++ [ALIGN].
    public func idAlignmentPrompt(item: Int) throws -> PromptSequence {
        try check(item)
        let tokens = itemPrefix + [Self.itemSlotToken, alignToken]
        return PromptSequence(tokens: tokens, itemSlots: [ItemSlot(position: itemPrefix.count, item: item)],
                              supervision: [Supervision(position: tokens.count - 1, target: item)],
                              readPosition: tokens.count - 1, prefixLength: itemPrefix.count, items: [])
    }
}
