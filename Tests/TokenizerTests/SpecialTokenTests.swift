// Special and added tokens: longest-first matching, which types are matched
// with and without parseSpecial, and `addSpecialTokens` for HDRec's [SEQ] and
// [ALIGN].
import Testing
@testable import Tokenizer

@Suite("Special and added tokens")
struct SpecialTokenTests {
    @Test("longer special tokens are matched before shorter ones they contain")
    func longestFirst() throws {
        // <a>=256 <a><b>=257 (control)
        let tok = try Tiny.byteLevel(merges: [], special: [("<a>", .control), ("<a><b>", .control)])
        #expect(tok.encode("x<a><b><a>", parseSpecial: true) == [0x78, 257, 256])
    }

    @Test("control tokens need parseSpecial; user-defined tokens are always matched")
    func types() throws {
        // <c>=256 control, <u>=257 user-defined
        let tok = try Tiny.byteLevel(merges: [], special: [("<c>", .control), ("<u>", .userDefined)])
        #expect(tok.encode("<c><u>") == [0x3C, 0x63, 0x3E, 257])
        #expect(tok.encode("<c><u>", parseSpecial: true) == [256, 257])
        #expect(tok.decode([256, 257]) == "<u>")
        #expect(tok.decode([256, 257], renderSpecial: true) == "<c><u>")
    }

    @Test("addSpecialTokens appends ids in order, is idempotent, and is parsed as one token")
    func addSpecialTokens() throws {
        var tok = try Tiny.byteLevel(merges: ["[ S"], extra: ["[S"])
        let n = Int32(tok.vocabularySize)
        let ids = tok.addSpecialTokens(["[SEQ]", "[ALIGN]"])
        #expect(ids == [n, n + 1])
        #expect(tok.vocabularySize == Int(n) + 2)
        #expect(tok.addSpecialTokens(["[ALIGN]", "[SEQ]"]) == [n + 1, n])
        #expect(tok.vocabularySize == Int(n) + 2)
        #expect(tok.tokenID("[SEQ]") == n)
        #expect(tok.tokenType(n) == .control)
        #expect(tok.encode("a [SEQ] b[ALIGN]", parseSpecial: true) == [0x61, 0x20, n, 0x20, 0x62, n + 1])
        #expect(!tok.encode("[SEQ]").contains(n))
        #expect(tok.piece(n) == "[SEQ]")
        #expect(tok.decode([n, 0x61], renderSpecial: true) == "[SEQ]a")
        #expect(tok.decode([n, 0x61]) == "a")
    }

    @Test("added tokens work with SentencePiece and keep the space-prefix rule")
    func addSpecialTokensSentencePiece() throws {
        var tok = try Tiny.sentencePiece([("▁", -3), ("a", -3), ("▁a", -1)])
        let seq = tok.addSpecialTokens(["[SEQ]"])[0]
        #expect(seq == Int32(tok.vocabularySize - 1))
        #expect(tok.encode("a[SEQ]a", parseSpecial: true) == [261, seq, 261])
    }

    @Test("an existing vocabulary token keeps its id when added as special")
    func existingToken() throws {
        var tok = try Tiny.byteLevel(merges: ["a b"], extra: ["ab"])
        #expect(tok.addSpecialTokens(["ab"]) == [256])
        #expect(tok.vocabularySize == 257)
    }
}
