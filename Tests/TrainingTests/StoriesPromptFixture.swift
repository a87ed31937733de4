// The tiny real decoder most Training tests run on: stories260K, a six-item toy catalog
// and prompts with 8-token attribute chunks.
import Foundation
import ModelFiles
import HDRecInference
import Tokenizer

enum StoriesPromptFixture {
    static var ggufPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stories260K/stories260K.gguf").path
    }

    /// The GGUF and a PromptBuilder over six toy items (`i0` ... `i5`).
    static func load() throws -> (gguf: GGUFFile, prompts: PromptBuilder) {
        let gguf = try GGUFFile(path: ggufPath)
        let titles = ["red ball", "big dog", "little cat", "blue car", "happy bird", "tall tree"]
        let catalog = try Catalog(items: titles.enumerated().map { CatalogItem(id: "i\($0.offset)", title: $0.element, brand: "toy") })
        var promptConfig = PromptConfiguration()
        promptConfig.maxAttributeTokens = 8
        let prompts = try PromptBuilder(tokenizer: try Tokenizer(gguf: gguf).withHDRecTokens(), catalog: catalog, configuration: promptConfig)
        return (gguf, prompts)
    }
}
