// Bad vocabulary data ends in a typed error naming what is wrong.
import Testing
@testable import Tokenizer

@Suite("Vocabulary validation")
struct VocabularyErrorTests {
    @Test("an empty vocabulary is rejected")
    func empty() {
        #expect(throws: TokenizerError.emptyVocabulary) {
            try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: []))
        }
    }

    @Test("duplicate token texts are rejected with both ids")
    func duplicate() {
        #expect(throws: TokenizerError.duplicateToken(text: "a", firstID: 1, secondID: 2)) {
            try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: ["x", "a", "a"]))
        }
    }

    @Test("scores or types shorter than the token list are rejected")
    func lengths() {
        #expect(throws: TokenizerError.lengthMismatch(key: "tokenizer.ggml.scores", expected: 3, found: 1)) {
            try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: ["a", "b", "c"], scores: [0]))
        }
        #expect(throws: TokenizerError.lengthMismatch(key: "tokenizer.ggml.token_type", expected: 3, found: 2)) {
            try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: ["a", "b", "c"], types: [.normal, .normal]))
        }
    }

    @Test("add_bos_token without a usable BOS id is rejected")
    func missingBOS() {
        #expect(throws: TokenizerError.missingSpecialToken(flag: "tokenizer.ggml.add_bos_token",
                                                           idKey: "tokenizer.ggml.bos_token_id")) {
            // One token only: the default BOS id 1 is out of range.
            try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: ["a"]))
        }
    }

    @Test("special ids out of range fall back to the defaults, as llama.cpp does")
    func outOfRangeIDs() throws {
        let tok = try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: ["<unk>", "<s>", "</s>"],
                                                       bosID: 7, eosID: -1, paddingID: 99))
        #expect(tok.bosID == 1)
        #expect(tok.eosID == 2)
        #expect(tok.paddingID == nil)
        #expect(tok.unknownID == 0)
    }

    @Test("empty token texts are renamed [EMPTY_<id>]")
    func emptyText() throws {
        let tok = try Tokenizer(vocabulary: Vocabulary(kind: .sentencePiece, tokens: ["<unk>", "<s>", "</s>", ""]))
        #expect(tok.tokenText(3) == "[EMPTY_3]")
    }
}
