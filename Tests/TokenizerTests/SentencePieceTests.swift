// SentencePiece BPE behaviour on tiny vocabularies: merges by score, leftmost
// tie-break, the space prefix and "▁", byte fallback, and decoding.
import Testing
@testable import Tokenizer

@Suite("SentencePiece BPE")
struct SentencePieceTests {
    @Test("the pair whose merged token has the higher score merges first")
    func scoreOrder() throws {
        // ids: a=259 b=260 c=261 ab=262 bc=263
        let bcFirst = try Tiny.sentencePiece([("a", -5), ("b", -5), ("c", -5), ("ab", -2), ("bc", -1)],
                                             addSpacePrefix: false)
        #expect(bcFirst.encode("abc") == [259, 263])
        let abFirst = try Tiny.sentencePiece([("a", -5), ("b", -5), ("c", -5), ("ab", -1), ("bc", -2)],
                                             addSpacePrefix: false)
        #expect(abFirst.encode("abc") == [262, 261])
    }

    @Test("equal scores merge the leftmost pair first")
    func leftmostTie() throws {
        let tok = try Tiny.sentencePiece([("a", -5), ("aa", -1)], addSpacePrefix: false)
        #expect(tok.encode("aaa") == [260, 259])
        #expect(tok.encode("aaaa") == [260, 260])
    }

    @Test("spaces become ▁ and a space is prefixed at the start by default")
    func spacePrefix() throws {
        // ▁=259 a=260 ▁a=261
        let tok = try Tiny.sentencePiece([("▁", -3), ("a", -3), ("▁a", -1)])
        #expect(tok.addSpacePrefix)
        #expect(tok.addBOSByDefault)
        #expect(tok.encode("a a") == [261, 261])
        #expect(tok.encode(" a") == [259, 261])
        #expect(tok.encode("") == [])
        #expect(tok.encode("a", addBOS: true) == [1, 261])
        let noPrefix = try Tiny.sentencePiece([("▁", -3), ("a", -3), ("▁a", -1)], addSpacePrefix: false)
        #expect(noPrefix.encode("a a") == [260, 261])
    }

    @Test("characters without a token fall back to <0xXX> byte tokens, and decode back")
    func byteFallback() throws {
        let tok = try Tiny.sentencePiece([("▁", -3), ("a", -3)])
        // "é" = C3 A9 -> byte tokens 3 + 0xC3, 3 + 0xA9
        let ids = tok.encode("aé")
        let expected: [Int32] = [259, 260, 3 + 0xC3, 3 + 0xA9]
        #expect(ids == expected)
        #expect(tok.decode(ids) == "aé")
        #expect(tok.piece(3 + 0x41) == "A")
    }

    @Test("invalid UTF-8 is encoded byte by byte and decodes to the same bytes")
    func invalidUTF8() throws {
        let tok = try Tiny.sentencePiece([("▁", -3), ("a", -3)], addSpacePrefix: false)
        let bytes: [UInt8] = [0x61, 0xFF, 0xC3, 0x28, 0xE2, 0x82]
        let ids = tok.encode(bytes: bytes)
        let expected: [Int32] = [260, 3 + 0xFF, 3 + 0xC3, 3 + 0x28, 3 + 0xE2, 3 + 0x82]
        #expect(ids == expected)
        #expect(tok.decodeBytes(ids) == bytes)
    }

    @Test("special-token text is plain text unless parseSpecial, then a space prefix follows it")
    func parseSpecial() throws {
        let tok = try Tiny.sentencePiece([("▁", -3), ("a", -3), ("▁a", -1), ("<", -3), ("s", -3), (">", -3)])
        let plain = tok.encode("<s>a")
        #expect(!plain.contains(1))
        #expect(tok.encode("<s>a", parseSpecial: true) == [1, 261])
        #expect(tok.decode([1, 261]) == " a")
        #expect(tok.decode([1, 261], renderSpecial: true) == "<s> a")
        #expect(tok.decode([1, 261], removeSpecial: true) == " a")
        #expect(tok.decode([261, 261]) == "a a")
    }
}
