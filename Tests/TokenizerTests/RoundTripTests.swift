// Properties on the real vocabularies over generated inputs: decoding the
// encoding of valid UTF-8 gives the text back (SentencePiece via byte fallback,
// SmolLM2 because its pre-tokenizer disables llama.cpp's space clean-up), and any
// byte string, however broken, encodes to in-range ids without crashing.
import Testing
@testable import Tokenizer

@Suite("Round trips and arbitrary bytes")
struct RoundTripTests {
    static let alphabet: [String] = ["a", "Z", " ", "  ", "\n", "\t", "'", "s", "7", ".", ",", "!", "é", "中", "😀",
                                     "\u{301}", "\u{a0}", "<", ">", "|", "[SEQ]", "ſ", "½", "\r", "\u{0}"]

    static func strings(seed: UInt64, count: Int) -> [String] {
        var rng = SplitMix(seed: seed)
        return (0..<count).map { _ in
            (0..<Int(rng.next() % 16)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
        }
    }

    static func byteStrings(seed: UInt64, count: Int) -> [[UInt8]] {
        var rng = SplitMix(seed: seed)
        let pool: [UInt8] = [0x00, 0x20, 0x0A, 0x27, 0x61, 0x73, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xA9, 0xE2, 0x96,
                             0x81, 0xED, 0xA0, 0xF0, 0x9F, 0xF5, 0xF8, 0xFF]
        return (0..<count).map { _ in (0..<Int(rng.next() % 24)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] } }
    }

    @Test("SentencePiece: decode(encode(text)) == text")
    func sentencePieceRoundTrip() throws {
        for tok in [try ModelFixtures.llamaSPM.get(), try ModelFixtures.stories.get()] {
            for text in Self.strings(seed: 11, count: 300) {
                #expect(tok.decode(tok.encode(text)) == text, "\(text.debugDescription)")
            }
        }
    }

    @Test("SmolLM2: decode(encode(text)) == text",
          .enabled(if: ModelFixtures.smolLM2Path != nil, Comment(rawValue: ModelFixtures.smolLM2Missing)))
    func byteLevelRoundTrip() throws {
        let tok = try ModelFixtures.smolLM2.get()
        for text in Self.strings(seed: 12, count: 300) {
            #expect(tok.decode(tok.encode(text)) == text, "\(text.debugDescription)")
        }
    }

    @Test("arbitrary bytes encode to ids inside the vocabulary")
    func arbitraryBytes() throws {
        var tokenizers = [try ModelFixtures.llamaSPM.get(), try ModelFixtures.stories.get()]
        if let smol = try? ModelFixtures.smolLM2.get() { tokenizers.append(smol) }
        for tok in tokenizers {
            for bytes in Self.byteStrings(seed: 13, count: 300) {
                for special in [false, true] {
                    let ids = tok.encode(bytes: bytes, parseSpecial: special)
                    #expect(ids.allSatisfy { $0 >= 0 && Int($0) < tok.vocabularySize })
                    #expect(bytes.isEmpty == ids.isEmpty)
                }
            }
        }
    }

    @Test("SentencePiece byte fallback gives back arbitrary bytes without spaces exactly")
    func sentencePieceBytes() throws {
        // With spaces this does not hold, in llama.cpp either: a broken lead byte
        // swallows the first byte of the "▁" that replaced the next space.
        let tok = try ModelFixtures.stories.get()
        for bytes in Self.byteStrings(seed: 14, count: 300) where !bytes.contains(0x20) {
            #expect(tok.decodeBytes(tok.encode(bytes: bytes)) == bytes)
        }
    }
}
