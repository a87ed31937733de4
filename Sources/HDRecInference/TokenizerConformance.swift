// The project's tokenizer as HDRec's prompt tokenizer: llama.cpp-exact encoding
// with no BOS, and the two added special tokens registered first.
import Tokenizer

extension Tokenizer: PromptTokenizer {
    public func promptTokens(_ text: String, parseSpecial: Bool) throws -> [Int32] {
        encode(text, addBOS: false, addEOS: false, parseSpecial: parseSpecial)
    }

    /// A copy with `[SEQ]` and `[ALIGN]` added as special tokens (ids after the
    /// base vocabulary, in that order), as HDRec's prompts need.
    public func withHDRecTokens() -> Tokenizer {
        var t = self
        t.addSpecialTokens([PromptConfiguration.seqToken, PromptConfiguration.alignToken])
        return t
    }
}
