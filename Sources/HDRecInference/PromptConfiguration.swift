// The knobs of prompt construction, with the public code's defaults
// (docs/public-code.md §2.1-2.4: parameters.py max_item_num = 30,
// max_token_num = 1024, max_attr_length = 32, train_attr = [title, brand]).

/// An item field that can enter the item text.
public enum ItemAttribute: String, CaseIterable, Sendable, Codable {
    case title, brand, categories, description
}

/// How prompts are built. Stored in the bundle manifest so inference builds the
/// prompts the adapters were trained on.
public struct PromptConfiguration: Sendable, Equatable, Codable {
    /// The instruction P_u of tasks 2 and 3 (data.py L23). Contains the literal `[SEQ]`,
    /// which is tokenized as the special token and never supervised.
    public var userInstruction: String
    /// The instruction P_i of task 1 (data.py L210).
    public var itemInstruction: String
    /// The item fields, in order: the first becomes `"name: value"`, the others
    /// `", name: value"`; each is tokenized alone and cut to `maxAttributeTokens`.
    public var attributes: [ItemAttribute]
    /// Token cap per attribute chunk, counting its `name: ` prefix.
    public var maxAttributeTokens: Int
    /// At most this many (most recent) history items enter a prompt.
    public var maxItems: Int
    /// Item-text token budget of a user prompt (excluding P_u and the `[SEQ]`
    /// tokens): the oldest items are dropped until the kept items' text tokens
    /// total strictly less than this.
    public var maxTokens: Int
    /// When a history is longer than `maxItems`, its oldest items are dropped in blocks of
    /// this many, so the kept window starts at a multiple of it and holds
    /// `maxItems - windowStep + 1 ... maxItems` items. 1 (the default, the public code's
    /// rule) keeps exactly the last `maxItems`, which moves the window, and so every
    /// position, at each new item: a returning user then reuses nothing from the prefix
    /// cache beyond the instruction. A larger step keeps the window's start, and the cached
    /// keys and values of the items in it, for `windowStep` requests in a row.
    public var windowStep: Int

    public static let seqToken = "[SEQ]"
    public static let alignToken = "[ALIGN]"

    public init(userInstruction: String = "Provide the next item's hidden state for each [SEQ]. User's history: ",
                itemInstruction: String = "Provide the item's hidden state for [ALIGN]. Item Description: ",
                attributes: [ItemAttribute] = [.title, .brand],
                maxAttributeTokens: Int = 32, maxItems: Int = 30, maxTokens: Int = 1024, windowStep: Int = 1) {
        self.userInstruction = userInstruction
        self.itemInstruction = itemInstruction
        self.attributes = attributes
        self.maxAttributeTokens = maxAttributeTokens
        self.maxItems = maxItems
        self.maxTokens = maxTokens
        self.windowStep = windowStep
    }

    private enum CodingKeys: String, CodingKey {
        case userInstruction, itemInstruction, attributes, maxAttributeTokens, maxItems, maxTokens, windowStep
    }

    /// Manifests written before `windowStep` existed hold no such key: they mean 1.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        userInstruction = try c.decode(String.self, forKey: .userInstruction)
        itemInstruction = try c.decode(String.self, forKey: .itemInstruction)
        attributes = try c.decode([ItemAttribute].self, forKey: .attributes)
        maxAttributeTokens = try c.decode(Int.self, forKey: .maxAttributeTokens)
        maxItems = try c.decode(Int.self, forKey: .maxItems)
        maxTokens = try c.decode(Int.self, forKey: .maxTokens)
        windowStep = try c.decodeIfPresent(Int.self, forKey: .windowStep) ?? 1
    }

    /// Throws unless the limits are positive and at least one attribute is used.
    public func validate() throws {
        for (name, v) in [("maxAttributeTokens", maxAttributeTokens), ("maxItems", maxItems), ("maxTokens", maxTokens), ("windowStep", windowStep)] where v < 1 {
            throw HDRecInferenceError.invalidParameter(name: name, value: "\(v)", expected: "an integer >= 1")
        }
        guard windowStep <= maxItems else {
            throw HDRecInferenceError.invalidParameter(name: "windowStep", value: "\(windowStep)", expected: "at most maxItems (\(maxItems))")
        }
        guard !attributes.isEmpty else {
            throw HDRecInferenceError.invalidParameter(name: "attributes", value: "[]", expected: "at least one item attribute")
        }
    }
}
