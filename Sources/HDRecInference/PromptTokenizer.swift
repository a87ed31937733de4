// What prompt building needs from a tokenizer. A protocol keeps the prompt
// logic testable with a hand-written vocabulary and independent of how the
// Tokenizer module spells its API; the real tokenizer conforms in
// TokenizerConformance.swift.

/// Turns text into token ids with **no BOS** (docs/public-code.md §2.1:
/// `tokenizer.tokenize` adds no special tokens).
public protocol PromptTokenizer: Sendable {
    /// Token ids of `text`. With `parseSpecial`, registered special tokens written
    /// in the text (`[SEQ]`, `[ALIGN]`, ...) become their single ids; without it
    /// they are ordinary text.
    func promptTokens(_ text: String, parseSpecial: Bool) throws -> [Int32]
}
