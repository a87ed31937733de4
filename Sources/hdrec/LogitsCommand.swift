// `hdrec logits`: the float32 vocabulary logits of the last prompt position, written as
// a numpy .npy file (shape [V], ModelFiles' NPYWriter: byte-tested against numpy.save),
// for comparison with other implementations.
import ArgumentParser
import Foundation
import Llama
import ModelFiles

struct LogitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write the last-position logits of a prompt as a .npy file.")

    @OptionGroup var decoder: DecoderOptions

    @Option(help: "Output .npy path.")
    var out: String

    func run() async throws {
        let (model, tokenizer, adapters, pool) = try decoder.load()
        let prompt = try decoder.promptTokens(tokenizer)
        guard !prompt.isEmpty else { throw ValidationError("the prompt is empty and the model adds no BOS") }
        let cache = KVCache(config: model.config, reserve: prompt.count)
        let result = try model.forward(.init(tokens: prompt), cache: cache, adapters: adapters, logits: .last, hidden: .last, pool: pool)
        try NPYWriter.write(Array(result.lastLogits), shape: [model.config.vocabSize], to: out)
        print("wrote \(model.config.vocabSize) logits of position \(prompt.count - 1) (\(prompt.count) prompt tokens) to \(out)")
    }
}
