// Byte-level BPE behaviour on tiny vocabularies: GPT-2's byte alphabet, merges
// by rank with leftmost tie-break, the Llama 3 whole-word shortcut, and decoding.
import Testing
@testable import Tokenizer

@Suite("Byte-level BPE")
struct ByteLevelBPETests {
    @Test("GPT-2 byte alphabet: printable bytes map to themselves, others to U+0100...")
    func byteAlphabet() {
        #expect(ByteLevel.codepoint[0x61] == 0x61)
        #expect(ByteLevel.codepoint[0x20] == 0x120)   // "Ġ"
        #expect(ByteLevel.codepoint[0x0A] == 0x10A)   // "Ċ"
        #expect(ByteLevel.codepoint[0x00] == 0x100)
        #expect(ByteLevel.codepoint[0x7F] == 0x121)
        #expect(ByteLevel.codepoint[0xAD] == 0x143)
        #expect(Set(ByteLevel.codepoint).count == 256)
        for b in 0..<256 { #expect(ByteLevel.byte(for: ByteLevel.codepoint[b]) == UInt8(b)) }
        #expect(ByteLevel.byte(for: 0x20) == nil)
    }

    @Test("the pair with the lowest merge rank merges first")
    func rankOrder() throws {
        // extra tokens: ab=256 bc=257
        let abFirst = try Tiny.byteLevel(merges: ["a b", "b c"], extra: ["ab", "bc"])
        #expect(abFirst.encode("abc") == [256, 0x63])
        let bcFirst = try Tiny.byteLevel(merges: ["b c", "a b"], extra: ["ab", "bc"])
        #expect(bcFirst.encode("abc") == [0x61, 257])
    }

    @Test("equal ranks merge the leftmost pair first")
    func leftmostTie() throws {
        let tok = try Tiny.byteLevel(merges: ["a a"], extra: ["aa"])
        #expect(tok.encode("aaa") == [256, 0x61])
    }

    @Test("a space joins the next word as Ġ and merges apply within pre-tokenized pieces")
    func spaceMerges() throws {
        // Ġt=256 he=257 Ġthe=258
        let tok = try Tiny.byteLevel(merges: ["Ġ t", "h e", "Ġt he"], extra: ["Ġt", "he", "Ġthe"])
        #expect(tok.encode("the the") == [0x74, 257, 258])
        #expect(tok.decode([0x74, 257, 258]) == "the the")
    }

    @Test("a merge result that is not a token falls back to its one-byte tokens")
    func mergeResultNotInVocabulary() throws {
        // "xy" is a merge result but not a token: llama.cpp writes x, y
        let tok = try Tiny.byteLevel(merges: ["x y"])
        #expect(tok.encode("xy") == [0x78, 0x79])
    }

    @Test("Llama 3 pre-tokenizer emits a piece that is a whole token without merging")
    func ignoreMerges() throws {
        let tok = try Tiny.byteLevel(merges: ["a b"], extra: ["ab", "abc"], pre: "llama-bpe")
        #expect(tok.addBOSByDefault)
        #expect(tok.encode("abc") == [257])
        let gpt2 = try Tiny.byteLevel(merges: ["a b"], extra: ["ab", "abc"], pre: "gpt-2")
        #expect(gpt2.encode("abc") == [256, 0x63])
    }

    @Test("invalid UTF-8 bytes become U+FFFD before BPE, as in llama.cpp")
    func invalidUTF8() throws {
        let tok = try Tiny.byteLevel(merges: [])
        #expect(tok.encode(bytes: [0x61, 0xFF]) == [0x61, 0xEF, 0xBF, 0xBD])
        // A truncated 3-byte sequence: each byte is invalid on its own.
        #expect(tok.encode(bytes: [0xE2, 0x82]) == [0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD])
        // Values past U+10FFFF (which llama.cpp cannot encode) do not crash.
        #expect(!tok.encode(bytes: [0xF5, 0x80, 0x80, 0x80]).isEmpty)
    }

    @Test("decoding maps byte-level characters back and cleans spaces before punctuation")
    func decodeCleanSpaces() throws {
        let tok = try Tiny.byteLevel(merges: [])
        #expect(tok.decode(tok.encode("Hi , you . it 's ' x '")) == "Hi, you. it's'x '")
        let smollm = try Tiny.byteLevel(merges: [], pre: "smollm")
        #expect(smollm.decode(smollm.encode("Hi , you .")) == "Hi , you .")
    }

    @Test("an unknown pre-tokenizer name is an error")
    func unknownPreTokenizer() throws {
        #expect(throws: TokenizerError.unsupportedPreTokenizer("qwen9")) {
            try Tiny.byteLevel(merges: ["a b"], pre: "qwen9")
        }
    }
}
