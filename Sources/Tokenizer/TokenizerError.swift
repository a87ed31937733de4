// The Tokenizer module's one error type. Every case carries what was found
// (the metadata key, the token id, the offending text), so a bad GGUF
// vocabulary is reported precisely instead of crashing the loader.

/// Errors raised while building a tokenizer from vocabulary data.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A required metadata key is absent (for example `tokenizer.ggml.tokens`).
    case missingKey(String)
    /// A metadata key holds a value of the wrong type or shape.
    case invalidValue(key: String, reason: String)
    /// `tokenizer.ggml.model` names a tokenizer this module does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this module does not implement.
    case unsupportedPreTokenizer(String)
    /// Parallel arrays (scores, token types) are shorter than the token list.
    case lengthMismatch(key: String, expected: Int, found: Int)
    /// Two vocabulary entries have the same text (llama.cpp rejects this too).
    case duplicateToken(text: String, firstID: Int, secondID: Int)
    /// The vocabulary is empty.
    case emptyVocabulary
    /// A flag asks for BOS/EOS insertion but the matching id is not set.
    case missingSpecialToken(flag: String, idKey: String)

    public var description: String {
        switch self {
        case let .missingKey(key):
            return "tokenizer metadata is missing '\(key)'"
        case let .invalidValue(key, reason):
            return "tokenizer metadata '\(key)' is invalid: \(reason)"
        case let .unsupportedModel(name):
            return "unsupported tokenizer model '\(name)' (supported: 'llama' SentencePiece, 'gpt2' byte-level BPE)"
        case let .unsupportedPreTokenizer(name):
            return "unsupported pre-tokenizer '\(name)' (supported: \(PreTokenizer.supportedNames.joined(separator: ", ")))"
        case let .lengthMismatch(key, expected, found):
            return "tokenizer metadata '\(key)' has \(found) entries, expected at least \(expected)"
        case let .duplicateToken(text, first, second):
            return "duplicate token '\(text)' in vocabulary: ids \(first) and \(second)"
        case .emptyVocabulary:
            return "tokenizer vocabulary is empty"
        case let .missingSpecialToken(flag, idKey):
            return "\(flag) is true, but \(idKey) is not set"
        }
    }
}
