// `hdrec generate`: text continuation with the Llama decoder, optionally with stacked
// LoRA adapters. Temperature 0 is greedy; otherwise sampling is seeded.
import ArgumentParser
import Foundation
import Llama

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a Llama GGUF model (and LoRA adapters).")

    @OptionGroup var decoder: DecoderOptions

    @Option(help: "Tokens to generate at most.")
    var maxTokens: Int = 64

    @Option(help: "Sampling temperature; 0 means greedy.")
    var temperature: Float = 0

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Option(help: "Sample only among the k most likely tokens (default: all).")
    var topK: Int?

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be non-negative") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be >= 0") }
    }

    func run() async throws {
        let (model, tokenizer, adapters, pool) = try decoder.load()
        let prompt = try decoder.promptTokens(tokenizer)
        guard !prompt.isEmpty else { throw ValidationError("the prompt is empty and the model adds no BOS") }
        var sampler = Sampler(temperature: temperature, topK: topK, seed: seed)
        var emitted: [Int32] = []
        var printed = ""
        _ = try model.generate(prompt: .init(tokens: prompt), maxTokens: maxTokens, sampler: &sampler,
                               adapters: adapters, stopTokens: tokenizer.endOfGenerationIDs.union([tokenizer.eosID].compactMap { $0 }),
                               pool: pool) { token in
            // Decode the whole continuation each time so multi-token UTF-8 characters print whole.
            emitted.append(token)
            let text = tokenizer.decode(emitted)
            if text.hasPrefix(printed) {
                FileHandle.standardOutput.write(Data(text.dropFirst(printed.count).utf8))
                printed = text
            }
            return true
        }
        let text = tokenizer.decode(emitted)
        if text.count > printed.count, text.hasPrefix(printed) {
            FileHandle.standardOutput.write(Data(text.dropFirst(printed.count).utf8))
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
