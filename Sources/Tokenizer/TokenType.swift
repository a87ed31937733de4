// Token types as stored in GGUF `tokenizer.ggml.token_type` (llama.cpp's
// llama_token_type enum). They decide which tokens are matched as special text
// before tokenization and how each token is rendered back to text.

/// The type of a vocabulary entry, with GGUF's numeric codes.
public enum TokenType: Int32, Sendable, Equatable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6

    /// Maps a GGUF code to a type; unknown codes become `.undefined`, as in llama.cpp.
    public init(code: Int32) {
        self = TokenType(rawValue: code) ?? .undefined
    }

    /// Control and unknown tokens: matched in text only with `parseSpecial`,
    /// rendered as text only when asked.
    var isSpecial: Bool { self == .control || self == .unknown }
}
