// One built prompt: what the decoder consumes and where the model is read.
// The public code (docs/public-code.md §2.3): every [SEQ] (and the [ALIGN] of task 1) is a
// supervised position; the ID task puts one item slot where the text task puts
// the item's text.

/// A position whose input row is `Proj(SASRec[item + 1])` instead of a token embedding.
public struct ItemSlot: Sendable, Equatable {
    public var position: Int
    /// The IPL index of the item.
    public var item: Int
    public init(position: Int, item: Int) {
        self.position = position
        self.item = item
    }
}

/// A position whose hidden state goes through the IPL, with its target item.
public struct Supervision: Sendable, Equatable {
    public var position: Int
    public var target: Int
    public init(position: Int, target: Int) {
        self.position = position
        self.target = target
    }
}

/// One sequence for the decoder.
public struct PromptSequence: Sendable, Equatable {
    /// Token ids, one per position. At item slots the id is
    /// `PromptBuilder.itemSlotToken`, which the decoder never looks up. [L]
    public var tokens: [Int32]
    /// Positions that take a projected SASRec row.
    public var itemSlots: [ItemSlot]
    /// Supervised positions with known targets, in position order (training).
    /// At inference the last `[SEQ]` has no target and is not listed.
    public var supervision: [Supervision]
    /// The position whose hidden state scores the next item: the last token.
    public var readPosition: Int
    /// Tokens of the fixed instruction at the start (identical across users, so
    /// their KV cache can be shared).
    public var prefixLength: Int
    /// The history items the prompt holds, oldest first (empty for task 1).
    public var items: [Int]

    public var count: Int { tokens.count }

    /// A prompt built by hand (synthetic batches, e.g. `hdrec bench-train`); PromptBuilder
    /// builds the real ones.
    public init(tokens: [Int32], itemSlots: [ItemSlot], supervision: [Supervision], readPosition: Int,
                prefixLength: Int, items: [Int]) {
        self.tokens = tokens; self.itemSlots = itemSlots; self.supervision = supervision
        self.readPosition = readPosition; self.prefixLength = prefixLength; self.items = items
    }
}

/// The two aligned user prompts of tasks 2 and 3 for one history.
public struct UserPrompts: Sendable, Equatable {
    /// Task 2: P_u ++ Σ (text(h_k) ++ [SEQ]).
    public var text: PromptSequence
    /// Task 3: P_u ++ Σ (⟨ID(h_k)⟩ ++ [SEQ]), over exactly the items `text` kept.
    public var id: PromptSequence
}
