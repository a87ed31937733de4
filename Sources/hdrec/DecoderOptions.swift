// Shared options of the decoder commands (generate, logits): the model, stacked LoRA
// adapters with per-adapter scales, and the prompt, plus loading them. Each
// `--lora-scale` applies to the `--lora` before it (llama.cpp's `--lora-scaled` pairs
// the two in one flag; ArgumentParser collects repeated options into separate arrays,
// so the pairing is recovered from the raw argument order).
import ArgumentParser
import Kernels
import Llama
import ModelFiles
import Tokenizer

struct DecoderOptions: ParsableArguments {
    @Option(help: "GGUF model file (general.architecture llama or qwen2).")
    var model: String

    @Option(name: .customLong("lora"), help: "LoRA adapter: a PEFT directory or a GGUF LoRA file. Repeat to stack adapters.")
    var loras: [String] = []

    @Option(name: .customLong("lora-scale"), help: "Scale of the preceding --lora (default 1).")
    var loraScales: [Float] = []

    @Option(help: "Prompt text, tokenized as llama.cpp does for this model.")
    var prompt: String

    @Option(help: "Worker threads (default: HDREC_THREADS or the number of cores).")
    var threads: Int?

    func validate() throws {
        if loraScales.count > loras.count { throw ValidationError("--lora-scale must follow a --lora") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Pairs each adapter path with its scale by walking the raw arguments in order.
    func adapterSpecs(arguments: [String] = CommandLine.arguments) throws -> [(path: String, scale: Float)] {
        var specs: [(path: String, scale: Float)] = []
        var i = 0
        func value(_ flag: String, _ arg: String) -> (String?, Bool) {
            if arg == flag { return (i + 1 < arguments.count ? arguments[i + 1] : nil, true) }
            if arg.hasPrefix(flag + "=") { return (String(arg.dropFirst(flag.count + 1)), false) }
            return (nil, false)
        }
        while i < arguments.count {
            let arg = arguments[i]
            if let path = value("--lora", arg).0 {
                specs.append((path, 1))
                if value("--lora", arg).1 { i += 1 }
            } else if let raw = value("--lora-scale", arg).0 {
                guard !specs.isEmpty else { throw ValidationError("--lora-scale must follow a --lora") }
                guard let s = Float(raw), s.isFinite else { throw ValidationError("--lora-scale '\(raw)' is not a number") }
                specs[specs.count - 1].scale = s
                if value("--lora-scale", arg).1 { i += 1 }
            }
            i += 1
        }
        // Fall back to the parsed arrays when the raw order is unavailable (e.g. in tests).
        if specs.map(\.path) != loras {
            specs = loras.enumerated().map { ($0.element, $0.offset < loraScales.count ? loraScales[$0.offset] : 1) }
        }
        return specs
    }

    /// Loads the model, its tokenizer and the adapters.
    func load() throws -> (model: LlamaModel, tokenizer: Tokenizer, adapters: [ActiveAdapter], pool: ThreadPool) {
        let file = try GGUFFile(path: model)
        let llama = try LlamaModel(gguf: file)
        let tokenizer = try Tokenizer(gguf: file)
        var adapters: [ActiveAdapter] = []
        for (n, spec) in try adapterSpecs().enumerated() {
            let adapter = try LoRAAdapter.load(path: spec.path, name: "adapter\(n)", base: llama.config)
            adapters.append(ActiveAdapter(adapter, scale: spec.scale))
        }
        let pool = threads.map { ThreadPool(threadCount: $0) } ?? ThreadPool.shared
        return (llama, tokenizer, adapters, pool)
    }

    /// The prompt's token ids: BOS as the GGUF says (tokenizer.ggml.add_bos_token, else
    /// llama.cpp's default for the vocabulary type).
    func promptTokens(_ tokenizer: Tokenizer) throws -> [Int32] {
        tokenizer.encode(prompt, addBOS: tokenizer.addBOSByDefault, parseSpecial: true)
    }
}
