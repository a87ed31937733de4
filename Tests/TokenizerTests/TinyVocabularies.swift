// Small hand-made vocabularies for behaviour tests, so each rule (score order,
// rank order, tie-breaking, byte fallback, special tokens) can be checked on
// inputs whose right answer is obvious by hand.
@testable import Tokenizer

enum Tiny {
    /// SentencePiece: <unk> <s> </s>, the 256 byte tokens, then `pieces` with their scores.
    static func sentencePiece(_ pieces: [(String, Float)], extra: [(String, TokenType)] = [],
                              addSpacePrefix: Bool? = nil) throws -> Tokenizer {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [TokenType] = [.unknown, .control, .control]
        var scores: [Float] = [0, 0, 0]
        let hex = Array("0123456789ABCDEF")
        for b in 0..<256 {
            tokens.append("<0x\(hex[b >> 4])\(hex[b & 15])>")
            types.append(.byte)
            scores.append(0)
        }
        for (text, score) in pieces {
            tokens.append(text); types.append(.normal); scores.append(score)
        }
        for (text, type) in extra {
            tokens.append(text); types.append(type); scores.append(0)
        }
        return try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: tokens, scores: scores,
                                                    types: types, bosID: 1, eosID: 2, unknownID: 0,
                                                    addSpacePrefix: addSpacePrefix))
    }

    /// Id of the first SentencePiece piece (after the 3 specials and 256 bytes).
    static let firstPiece: Int32 = 259

    /// The GPT-2 byte alphabet as 256 tokens (id = byte value), then `extra` tokens.
    static func byteLevel(merges: [String], extra: [String] = [], pre: String = "gpt-2",
                          special: [(String, TokenType)] = []) throws -> Tokenizer {
        var tokens = (0..<256).map { String(decoding: ByteLevel.utf8[$0], as: UTF8.self) }
        tokens += extra
        var types = [TokenType](repeating: .normal, count: tokens.count)
        for (text, type) in special {
            tokens.append(text); types.append(type)
        }
        return try Tokenizer(vocabulary: Vocabulary(kind: .byteLevelBPE, preTokenizer: pre, tokens: tokens,
                                                    types: types, merges: merges))
    }
}
