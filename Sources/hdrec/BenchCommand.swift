// `hdrec bench`: decoder throughput. Prefill: one forward pass over N seeded random
// token ids, logits for the last position only (as llama.cpp's eval does), best of
// `--repeats`. Decode: single-token steps after that prompt, mean over `--decode-tokens`.
// The peer measurement (llama.cpp on the same file and threads) is Tools/bench_llama_cpp.py;
// Tools/bench_decoder.sh runs both in one go.
//
// `--layers N` times what a bundle's pass runs instead: the first N blocks, prepared as
// HDRecModel.decoderModel prepares them (decoded or 8-bit-packed weights), ending at the
// last position's hidden state with no LM head. Its prefill tokens/s is the ceiling for
// hdrec-server's computed positions per second (scripts/bench_throughput.sh).
import ArgumentParser
import Foundation
import HDRecInference
import Kernels
import Llama
import Quant

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill and decode tokens/s of a Llama GGUF model.")

    @Option(help: "GGUF model file.")
    var model: String

    @Option(help: "Prompt length for the prefill measurement.")
    var promptTokens: Int = 128

    @Option(help: "Worker threads.")
    var threads: Int = 2

    @Option(help: "Prefill repetitions; the best is reported.")
    var repeats: Int = 3

    @Option(help: "Decode steps to time after the prompt.")
    var decodeTokens: Int = 32

    @Flag(help: "Quantize activations to 8 bits for the prefill products (integer kernels; see ActivationPrecision).")
    var int8Activations = false

    @Option(help: "With --int8-activations: the kernel variant, avx2 (as on Zen 3), avx-vnni or avx512-vnni (default: the fastest this CPU has; one it lacks runs avx2).")
    var int8Kernel: String?

    @Option(help: "Time a bundle's pass: only the first N decoder blocks, prepared as a bundle's decoder, up to the last position's hidden state (no LM head, no decode).")
    var layers: Int?

    @Flag(help: "Print one JSON object (prefill_tokens_per_s, decode_tokens_per_s, ...).")
    var json = false

    func validate() throws {
        guard promptTokens >= 1 else { throw ValidationError("--prompt-tokens must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard decodeTokens >= 0 else { throw ValidationError("--decode-tokens must be non-negative") }
        if let layers {
            guard layers >= 1 else { throw ValidationError("--layers must be at least 1") }
            guard decodeTokens == 0 else { throw ValidationError("--layers times HDRec's passes, which do not decode: pass --decode-tokens 0") }
        }
    }

    func run() async throws {
        if let int8Kernel {
            guard let variant = Int8Kernel.allCases.first(where: { $0.description == int8Kernel }) else {
                throw ValidationError("--int8-kernel must be avx2, avx-vnni or avx512-vnni")
            }
            Int8MatMul.kernel = variant
        }
        let loaded = try LlamaModel(path: model)
        let llama: LlamaModel
        if let layers {
            llama = try HDRecModel.decoderModel(base: loaded.withActivations(int8Activations ? .int8 : .f32), layers: layers, norms: [:])
        } else {
            llama = int8Activations ? loaded.withActivations(.int8).packingInt8Weights() : loaded
        }
        let logits: LogitsSelection = layers == nil ? .last : .none
        let cfg = llama.config
        guard promptTokens + decodeTokens <= cfg.contextLength else {
            throw ValidationError("--prompt-tokens + --decode-tokens exceed the context length \(cfg.contextLength)")
        }
        let pool = ThreadPool(threadCount: threads)
        var state: UInt64 = 0x5EED
        let prompt: [InputItem] = (0 ..< promptTokens).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return .token(Int32(truncatingIfNeeded: (state >> 33) % UInt64(cfg.vocabSize)))
        }
        // Warm-up: touches the mapped weights and the pool's threads.
        _ = try llama.forward(Array(prompt.prefix(min(8, promptTokens))), cache: KVCache(config: cfg, reserve: 8), pool: pool)

        var best = Double.infinity
        var cache = KVCache(config: cfg, reserve: promptTokens + decodeTokens)
        var last = SequenceOutput(count: 0, hidden: [], logits: [], logitRows: 0)
        for _ in 0 ..< repeats {
            cache = KVCache(config: cfg, reserve: promptTokens + decodeTokens)
            let start = DispatchTime.now().uptimeNanoseconds
            last = try llama.forward(prompt, cache: cache, logits: logits, hidden: .last, pool: pool)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let prefill = Double(promptTokens) / best

        var decode = 0.0
        if decodeTokens > 0 {
            var token = Sampler.argmax(last.lastLogits)
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0 ..< decodeTokens {
                let out = try llama.forward([.token(token)], cache: cache, logits: .last, pool: pool)
                token = Sampler.argmax(out.lastLogits)
            }
            decode = Double(decodeTokens) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        if json {
            let fields = [
                "\"model\": \"\((model as NSString).lastPathComponent)\"",
                "\"prompt_tokens\": \(promptTokens)", "\"threads\": \(threads)",
                "\"layers\": \(llama.config.layerCount)",
                "\"activations\": \"\(llama.activations.rawValue)\"",
                "\"int8_kernel\": \"\(int8Activations ? Int8MatMul.kernel.description : "none")\"",
                "\"prefill_tokens_per_s\": \(String(format: "%.2f", prefill))",
                "\"decode_tokens_per_s\": \(String(format: "%.2f", decode))",
                "\"prefill_seconds\": \(String(format: "%.5f", best))",
            ]
            print("{" + fields.joined(separator: ", ") + "}")
        } else {
            print(String(format: "prefill %d tokens: %.1f tokens/s (%.3f s, best of %d); decode: %.1f tokens/s; %d threads",
                         promptTokens, prefill, best, repeats, decode, threads))
        }
    }
}
