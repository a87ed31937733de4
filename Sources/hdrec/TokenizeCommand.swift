// `hdrec tokenize`: the bare tokenization of a text by a GGUF model's tokenizer,
// as a JSON array of ids. No BOS unless --bos (EOS with --eos); special-token
// text such as "<|im_start|>" stays plain text unless --special. The
// SentencePiece space prefix follows the model's add_space_prefix flag. The ids
// are llama.cpp's for the same model and flags (see docs/tokenizers.md).
import ArgumentParser
import Foundation
import Tokenizer

struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print a text's token ids (JSON array) using a GGUF model's tokenizer.")

    @Option(help: "GGUF model file whose tokenizer.ggml.* metadata is used.") var model: String
    @Flag(help: "Prepend the BOS token.") var bos = false
    @Flag(help: "Append the EOS token.") var eos = false
    @Flag(help: "Parse special-token text (e.g. <|im_start|>) as special tokens.") var special = false
    @Option(help: "Read the text as raw bytes from this file instead of the argument.") var file: String?
    @Argument(help: "The text to tokenize.") var text: String?

    func validate() throws {
        if (text == nil) == (file == nil) {
            throw ValidationError("give the text either as TEXT or with --file (exactly one)")
        }
    }

    func run() async throws {
        let tokenizer = try Tokenizer(ggufPath: model)
        let bytes: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            bytes = [UInt8](data)
        } else {
            bytes = Array((text ?? "").utf8)
        }
        let ids = tokenizer.encode(bytes: bytes, addBOS: bos, addEOS: eos, parseSpecial: special)
        print("[" + ids.map(String.init).joined(separator: ",") + "]")
    }
}
