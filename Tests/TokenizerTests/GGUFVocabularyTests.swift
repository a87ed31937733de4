// Reading tokenizer metadata from GGUF: files crafted with GGUFWriter check that
// each key is read, that absent flags take llama.cpp's defaults, and that a key
// of the wrong type is an error naming it.
import Foundation
import ModelFiles
import Testing
@testable import Tokenizer

@Suite("Vocabulary from GGUF metadata")
struct GGUFVocabularyTests {
    static func file(_ edit: (inout GGUFWriter) -> Void) throws -> GGUFFile {
        var w = GGUFWriter()
        w.setValue(.string("gpt2"), forKey: "tokenizer.ggml.model")
        w.setValue(.string("smollm"), forKey: "tokenizer.ggml.pre")
        let tokens = (0..<256).map { GGUFValue.string(String(decoding: ByteLevel.utf8[$0], as: UTF8.self)) }
            + [.string("ab"), .string("<|x|>")]
        w.setValue(.array(elementType: .string, values: tokens), forKey: "tokenizer.ggml.tokens")
        w.setValue(.array(elementType: .int32, values: Array(repeating: .int32(1), count: 257) + [.int32(3)]),
                   forKey: "tokenizer.ggml.token_type")
        w.setValue(.array(elementType: .string, values: [.string("a b")]), forKey: "tokenizer.ggml.merges")
        w.setValue(.uint32(257), forKey: "tokenizer.ggml.eos_token_id")
        w.setValue(.uint32(0xFFFF_FFFF), forKey: "tokenizer.ggml.padding_token_id")
        edit(&w)
        return try GGUFFile(data: w.serialized())
    }

    @Test("keys are read; absent flags and ids take llama.cpp's BPE defaults")
    func readsKeys() throws {
        let tok = try Tokenizer(gguf: Self.file { _ in })
        #expect(tok.kind == .byteLevelBPE)
        #expect(tok.preTokenizer == .smollm)
        #expect(tok.vocabularySize == 258)
        #expect(tok.eosID == 257)
        #expect(tok.bosID == 11)          // llama.cpp's BPE default when the key is absent
        #expect(tok.paddingID == nil)     // 0xFFFFFFFF means none
        #expect(!tok.addBOSByDefault && !tok.addEOSByDefault && !tok.addSpacePrefix)
        #expect(tok.tokenType(257) == .control)
        #expect(tok.encode("ab<|x|>") == [256, 0x3C, 0x7C, 0x78, 0x7C, 0x3E])
        #expect(tok.encode("ab<|x|>", parseSpecial: true) == [256, 257])
        #expect(tok.endOfGenerationIDs == [257])
    }

    @Test("add_bos_token, add_eos_token and add_space_prefix are read when present")
    func flags() throws {
        let tok = try Tokenizer(gguf: Self.file { w in
            w.setValue(.bool(true), forKey: "tokenizer.ggml.add_bos_token")
            w.setValue(.bool(true), forKey: "tokenizer.ggml.add_eos_token")
            w.setValue(.bool(true), forKey: "tokenizer.ggml.add_space_prefix")
            w.setValue(.uint32(256), forKey: "tokenizer.ggml.bos_token_id")
        })
        #expect(tok.addBOSByDefault && tok.addEOSByDefault && tok.addSpacePrefix)
        #expect(tok.encode("a", addBOS: true, addEOS: true) == [256, 0x61, 257])
    }

    @Test("missing and mistyped keys are errors naming the key")
    func errors() throws {
        #expect(throws: TokenizerError.missingKey("tokenizer.ggml.model")) {
            try Tokenizer(gguf: Self.file { $0.removeValue(forKey: "tokenizer.ggml.model") })
        }
        #expect(throws: TokenizerError.missingKey("tokenizer.ggml.tokens")) {
            try Tokenizer(gguf: Self.file { $0.removeValue(forKey: "tokenizer.ggml.tokens") })
        }
        #expect(throws: TokenizerError.missingKey("tokenizer.ggml.merges")) {
            try Tokenizer(gguf: Self.file { $0.removeValue(forKey: "tokenizer.ggml.merges") })
        }
        #expect(throws: TokenizerError.unsupportedModel("bert")) {
            try Tokenizer(gguf: Self.file { $0.setValue(.string("bert"), forKey: "tokenizer.ggml.model") })
        }
        #expect(throws: TokenizerError.invalidValue(key: "tokenizer.ggml.tokens",
                                                    reason: "expected an array of strings, found an array of int32")) {
            try Tokenizer(gguf: Self.file {
                $0.setValue(.array(elementType: .int32, values: [.int32(1)]), forKey: "tokenizer.ggml.tokens")
            })
        }
        #expect(throws: TokenizerError.invalidValue(key: "tokenizer.ggml.add_bos_token", reason: "expected a bool, found uint32")) {
            try Tokenizer(gguf: Self.file { $0.setValue(.uint32(1), forKey: "tokenizer.ggml.add_bos_token") })
        }
        #expect(throws: TokenizerError.lengthMismatch(key: "tokenizer.ggml.token_type", expected: 258, found: 1)) {
            try Tokenizer(gguf: Self.file {
                $0.setValue(.array(elementType: .int32, values: [.int32(1)]), forKey: "tokenizer.ggml.token_type")
            })
        }
        #expect(throws: TokenizerError.unsupportedPreTokenizer("tekken")) {
            try Tokenizer(gguf: Self.file { $0.setValue(.string("tekken"), forKey: "tokenizer.ggml.pre") })
        }
    }
}
