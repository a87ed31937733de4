// llama.cpp's own SentencePiece test vectors (tests/test-tokenizer-0.cpp with
// models/ggml-vocab-llama-spm.gguf.inp/.out): every case must give exactly the
// listed ids. As in that test, inputs are split on "\n__ggml_vocab_test__\n",
// output lines are trimmed and split on spaces, and tokenization uses
// add_special=false, parse_special=false (no BOS; the space prefix still applies).
import Foundation
import Testing
@testable import Tokenizer

@Suite("llama.cpp llama-spm test vectors")
struct LlamaSPMVocabTests {
    static func cases() throws -> [(input: [UInt8], ids: [Int32])] {
        try VocabVectors.load(gguf: ModelFixtures.llamaSPMPath)
    }

    @Test("every .inp case tokenizes to the .out ids")
    func allCases() throws {
        let tok = try ModelFixtures.llamaSPM.get()
        let cases = try Self.cases()
        #expect(cases.count == 46)
        for (input, expected) in cases {
            let got = tok.encode(bytes: input)
            #expect(got == expected, "input \(String(decoding: input, as: UTF8.self).debugDescription)")
        }
    }

    @Test("decoding each case gives back its input")
    func roundTrip() throws {
        let tok = try ModelFixtures.llamaSPM.get()
        for (input, expected) in try Self.cases() {
            #expect(tok.decodeBytes(expected) == input)
        }
    }

    @Test("the GGUF flags and special ids are read")
    func metadata() throws {
        let tok = try ModelFixtures.llamaSPM.get()
        #expect(tok.kind == .sentencePiece)
        #expect(tok.vocabularySize == 32000)
        #expect(tok.bosID == 1)
        #expect(tok.eosID == 2)
        #expect(tok.unknownID == 0)
        #expect(tok.addBOSByDefault)
        #expect(!tok.addEOSByDefault)
        #expect(tok.addSpacePrefix)
        #expect(tok.encode("Hello world", addBOS: true) == [1, 15043, 3186])
        #expect(tok.tokenText(15043) == "▁Hello")
        #expect(tok.piece(15043) == " Hello")
        #expect(tok.tokenType(13) == .byte)
    }
}
