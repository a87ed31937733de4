// Prompts on a real tokenizer: stories260K's SentencePiece vocabulary (512
// tokens) with [SEQ]/[ALIGN] added, checked piece by piece against the
// tokenizer's own encodings and by decoding the prompt back to its text.
import Foundation
import Testing
import Tokenizer
@testable import HDRecInference

enum Stories {
    static var ggufPath: String {
        FixturePaths.packageRoot.appendingPathComponent("Tests/Fixtures/stories260K/stories260K.gguf").path
    }
    static func tokenizer() throws -> Tokenizer { try Tokenizer(ggufPath: ggufPath).withHDRecTokens() }
}

@Suite("Prompts on stories260K's tokenizer")
struct StoriesPromptTests {
    let catalog = try! Catalog(items: [
        CatalogItem(id: "B01", title: "Red ball", brand: "Lily"),
        CatalogItem(id: "B02", title: "Big tree", brand: ""),
    ])

    @Test("[SEQ] and [ALIGN] get ids 512 and 513; no BOS; the instruction holds one [SEQ]")
    func specialTokens() throws {
        let tok = try Stories.tokenizer()
        let b = try PromptBuilder(tokenizer: tok, catalog: catalog)
        #expect(b.seqToken == 512 && b.alignToken == 513)
        #expect(b.userPrefix.first != tok.bosID)
        #expect(b.userPrefix.filter { $0 == 512 }.count == 1)
        // The text around the special token is encoded as two separate fragments.
        let expected = tok.encode("Provide the next item's hidden state for each ") + [512] + tok.encode(". User's history: ")
        #expect(b.userPrefix == expected)
        #expect(b.itemPrefix == tok.encode("Provide the item's hidden state for ") + [513] + tok.encode(". Item Description: "))
    }

    @Test("the text prompt decodes to the paper's format, chunk by chunk")
    func textPrompt() throws {
        let tok = try Stories.tokenizer()
        let b = try PromptBuilder(tokenizer: tok, catalog: catalog)
        let item0 = tok.encode("title: Red ball") + tok.encode(", brand: Lily")
        let item1 = tok.encode("title: Big tree")
        #expect(b.itemText.tokens == [item0, item1])
        let p = try b.userPrompts(history: [0, 1])
        #expect(p.text.tokens == b.userPrefix + item0 + [512] + item1 + [512])
        let text = tok.decode(p.text.tokens, renderSpecial: true)
        // SentencePiece (llama.cpp add_space_prefix) puts a space before each separately
        // encoded chunk and after each special token; byte-level BPE would not.
        #expect(text.contains("[SEQ] . User's history:  title: Red ball , brand: Lily[SEQ] title: Big tree[SEQ]"), "\(text)")
        #expect(p.id.tokens.count == b.userPrefix.count + 4)
    }

    @Test("long fields are cut to 32 tokens each, prefix included")
    func caps() throws {
        let tok = try Stories.tokenizer()
        let long = String(repeating: "the big dog ran ", count: 20)
        let c = try Catalog(items: [CatalogItem(id: "x", title: long, brand: long)])
        let b = try PromptBuilder(tokenizer: tok, catalog: c)
        #expect(b.itemText.tokens[0] == Array(tok.encode("title: " + long).prefix(32)) + Array(tok.encode(", brand: " + long).prefix(32)))
        #expect(b.itemText.tokens[0].count == 64)
    }
}
