// Exactly llama.cpp's ids: each golden case (Fixtures/goldens/*.json, written by
// Tools/make_tokenizer_goldens.py with llama-cpp-python) is replayed through
// encode/decode with the same flags:
//   ids              encode(bytes)                              (add_special=false, parse_special=false)
//   ids_special      encode(bytes, parseSpecial: true)
//   ids_add_special  encode(bytes, addBOS/addEOS: the model's flags)
//   decoded_hex      decode(ids)                                (llama_detokenize, special=false)
//   decoded_special_hex  decode(ids_special, renderSpecial: true)
import Foundation
import ModelFiles
import Testing
@testable import Tokenizer

struct GoldenCase: Decodable, Sendable {
    var text_hex: String
    var text: String?
    var ids: [Int32]
    var ids_special: [Int32]
    var ids_add_special: [Int32]
    var decoded_hex: String
    var decoded_special_hex: String
}

struct GoldenFile: Decodable, Sendable {
    var model: String
    var cases: [GoldenCase]
}

@Suite("llama.cpp goldens")
struct GoldenTests {
    static func load(_ name: String) throws -> GoldenFile {
        let url = ModelFixtures.fixturesDir.appendingPathComponent("goldens/\(name).json")
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }

    static func check(_ tok: Tokenizer, _ golden: GoldenFile) {
        #expect(golden.cases.count > 200)
        for c in golden.cases {
            let input = ModelFixtures.bytes(hex: c.text_hex)
            let label = c.text?.debugDescription ?? "hex \(c.text_hex)"
            #expect(tok.encode(bytes: input) == c.ids, "encode \(label)")
            #expect(tok.encode(bytes: input, parseSpecial: true) == c.ids_special, "encode special \(label)")
            #expect(tok.encode(bytes: input, addBOS: tok.addBOSByDefault, addEOS: tok.addEOSByDefault) == c.ids_add_special,
                    "encode add_special \(label)")
            #expect(tok.decodeBytes(c.ids) == ModelFixtures.bytes(hex: c.decoded_hex), "decode \(label)")
            #expect(tok.decodeBytes(c.ids_special, renderSpecial: true) == ModelFixtures.bytes(hex: c.decoded_special_hex),
                    "decode special \(label)")
        }
    }

    @Test("SmolLM2 (byte-level BPE, smollm) matches llama.cpp",
          .enabled(if: ModelFixtures.smolLM2Path != nil, Comment(rawValue: ModelFixtures.smolLM2Missing)))
    func smolLM2() throws {
        let tok = try ModelFixtures.smolLM2.get()
        #expect(tok.kind == .byteLevelBPE)
        #expect(tok.preTokenizer == .smollm)
        #expect(tok.vocabularySize == 49152)
        #expect(!tok.addBOSByDefault)
        #expect(tok.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
        #expect(tok.endOfGenerationIDs == [0, 2])
        Self.check(tok, try Self.load("smollm2"))
    }

    @Test("SmolLM2: [SEQ] and [ALIGN] become new single tokens without changing the text around them",
          .enabled(if: ModelFixtures.smolLM2Path != nil, Comment(rawValue: ModelFixtures.smolLM2Missing)))
    func smolLM2AddedTokens() throws {
        var tok = try ModelFixtures.smolLM2.get()
        let original = tok
        #expect(tok.addSpecialTokens(["[SEQ]", "[ALIGN]"]) == [49152, 49153])
        #expect(tok.vocabularySize == 49154)
        #expect(original.vocabularySize == 49152)
        let prompt = "title: Fluke 87-V [SEQ] title: Fluke 117 [ALIGN]"
        let expected = original.encode("title: Fluke 87-V ") + [49152] + original.encode(" title: Fluke 117 ") + [49153]
        #expect(tok.encode(prompt, parseSpecial: true) == expected)
        #expect(tok.encode(prompt) == original.encode(prompt))
        #expect(tok.decode(expected, renderSpecial: true) == prompt)
    }

    @Test("stories260K (SentencePiece, 512 tokens) matches llama.cpp")
    func stories() throws {
        let tok = try ModelFixtures.stories.get()
        #expect(tok.kind == .sentencePiece)
        #expect(tok.vocabularySize == 512)
        #expect(tok.addBOSByDefault && tok.addSpacePrefix)
        #expect(tok.paddingID == nil)
        Self.check(tok, try Self.load("stories260K"))
    }

    @Test("Llama-2 SentencePiece vocabulary matches llama.cpp")
    func llamaSPM() throws {
        Self.check(try ModelFixtures.llamaSPM.get(), try Self.load("llama-spm"))
    }
}

/// A golden case of the pre-tokenizer variants (ids and decoding only).
struct PreVariantCase: Decodable, Sendable {
    var text_hex: String
    var ids: [Int32]
    var decoded_hex: String
}

struct PreVariantFile: Decodable, Sendable {
    var pre: String
    var cases: [PreVariantCase]
}

@Suite("llama.cpp goldens: other byte-level pre-tokenizers")
struct PreTokenizerGoldenTests {
    /// SmolLM2's vocabulary with `tokenizer.ggml.pre` replaced, as the golden script runs it in llama.cpp.
    static let vocabulary = Result { () throws -> Vocabulary in
        guard let path = ModelFixtures.smolLM2Path else { throw CocoaError(.fileNoSuchFile) }
        return try Vocabulary(gguf: GGUFFile(path: path))
    }

    @Test("SmolLM2's vocabulary under llama-bpe, default and gpt-2 matches llama.cpp",
          .enabled(if: ModelFixtures.smolLM2Path != nil, Comment(rawValue: ModelFixtures.smolLM2Missing)),
          arguments: ["llama-bpe", "default", "gpt-2"])
    func variant(_ pre: String) throws {
        let url = ModelFixtures.fixturesDir.appendingPathComponent("goldens/smollm2-pre-\(pre).json")
        let golden = try JSONDecoder().decode(PreVariantFile.self, from: Data(contentsOf: url))
        #expect(golden.pre == pre)
        var vocabulary = try Self.vocabulary.get()
        vocabulary.preTokenizer = pre
        let tok = try Tokenizer(vocabulary: vocabulary)
        #expect(golden.cases.count > 200)
        for c in golden.cases {
            let input = ModelFixtures.bytes(hex: c.text_hex)
            #expect(tok.encode(bytes: input) == c.ids, "encode hex \(c.text_hex)")
            #expect(tok.decodeBytes(c.ids) == ModelFixtures.bytes(hex: c.decoded_hex), "decode hex \(c.text_hex)")
        }
    }
}
