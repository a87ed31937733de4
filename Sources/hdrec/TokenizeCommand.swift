// `hdrec tokenize`: the bare tokenization of a text by a GGUF model's tokenizer,
// as a JSON array of ids. No BOS unless --bos (EOS with --eos); special-token
// text such as "<|im_start|>" stays plain text unless --special. The
// SentencePiece space prefix follows the model's add_space_prefix flag. The ids
// are llama.cpp's for the same model and flags (see docs/tokenizers.md).
// With --lines, each line of the input is tokenized on its own (one array per
// line), and --time reports the throughput on stderr.
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
    @Flag(help: "Tokenize each line (without its newline) separately; print one JSON array per line.") var lines = false
    @Flag(help: "Report load time and tokenization throughput on stderr.") var time = false
    @Argument(help: "The text to tokenize.") var text: String?

    func validate() throws {
        if (text == nil) == (file == nil) {
            throw ValidationError("give the text either as TEXT or with --file (exactly one)")
        }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let tokenizer = try Tokenizer(ggufPath: model)
        let loadTime = clock.now - loadStart
        let bytes: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            bytes = [UInt8](data)
        } else {
            bytes = Array((text ?? "").utf8)
        }
        let inputs = lines ? bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init) : [bytes]
        let start = clock.now
        let results = inputs.map { tokenizer.encode(bytes: $0, addBOS: bos, addEOS: eos, parseSpecial: special) }
        let elapsed = clock.now - start
        var out = ""
        for ids in results { out += "[" + ids.map(String.init).joined(separator: ",") + "]\n" }
        print(out, terminator: "")
        if time {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let tokens = results.reduce(0) { $0 + $1.count }
            let message = String(format: "load %@, %d inputs, %d bytes, %d tokens in %.3f s: %.0f tokens/s, %.0f inputs/s\n",
                                 "\(loadTime)", inputs.count, bytes.count, tokens, seconds,
                                 Double(tokens) / max(seconds, 1e-9), Double(inputs.count) / max(seconds, 1e-9))
            FileHandle.standardError.write(Data(message.utf8))
        }
    }
}
