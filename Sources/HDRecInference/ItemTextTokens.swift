// The tokenized text of every catalog item, built once (tokenizing 10⁴ titles
// per request would cost more than the IPL). The public code (docs/public-code.md §2.1):
// chunk 1 = tokenize("title: {title}")[:32], chunk 2 = tokenize(", brand: {brand}")[:32],
// each chunk tokenized on its own, the cap counting the "name: " prefix, no BOS,
// and an empty field dropping its chunk.

/// Per-item token ids of the item text, in IPL order.
public struct ItemTextTokens: Sendable, Equatable {
    /// `tokens[i]` = the concatenated attribute chunks of item i.
    public let tokens: [[Int32]]

    public var count: Int { tokens.count }

    /// Wraps precomputed rows (tests, caches).
    public init(tokens: [[Int32]]) { self.tokens = tokens }

    /// Tokenizes every item of `catalog`. Item text is data, so special-token
    /// markup written in a title stays ordinary text (see docs/training.md).
    public init(catalog: Catalog, tokenizer: some PromptTokenizer, configuration: PromptConfiguration) throws {
        try configuration.validate()
        var rows: [[Int32]] = []
        rows.reserveCapacity(catalog.count)
        for item in catalog.items {
            rows.append(try Self.itemTokens(item, tokenizer: tokenizer, configuration: configuration))
        }
        tokens = rows
    }

    /// The text chunks of one item before tokenization, e.g. `["title: T", ", brand: B"]`.
    public static func chunks(_ item: CatalogItem, configuration: PromptConfiguration) -> [String] {
        var out: [String] = []
        for (n, attribute) in configuration.attributes.enumerated() {
            guard let value = item.value(of: attribute), !value.isEmpty else { continue }
            out.append((n == 0 ? "" : ", ") + "\(attribute.rawValue): \(value)")
        }
        return out
    }

    /// One item's tokens: each chunk tokenized alone, cut, then concatenated.
    public static func itemTokens(_ item: CatalogItem, tokenizer: some PromptTokenizer,
                                  configuration: PromptConfiguration) throws -> [Int32] {
        var out: [Int32] = []
        for chunk in chunks(item, configuration: configuration) {
            let t: [Int32]
            do { t = try tokenizer.promptTokens(chunk, parseSpecial: false) } catch {
                throw HDRecInferenceError.tokenization(text: chunk, underlying: "\(error)")
            }
            out += t.prefix(configuration.maxAttributeTokens)
        }
        return out
    }
}
