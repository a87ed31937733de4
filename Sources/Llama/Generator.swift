// Autoregressive generation: one batched prefill of the prompt, then one decode step
// per new token over the KV cache (llama2.c `generate`). Stops at an end token, after
// `maxTokens`, when `onToken` says so, or when the context is full (documented
// truncation: generation ends there; a prompt that does not fit is an error).
import Kernels

extension LlamaModel {
    /// Generates up to `maxTokens` tokens after `prompt` and returns them (the stop token excluded).
    ///
    /// - Parameters:
    ///   - prompt: the prompt positions (tokens or embeddings); must fit in the context.
    ///   - stopTokens: ids that end generation (e.g. the tokenizer's EOS).
    ///   - onToken: called with each new token; return false to stop early.
    public func generate(prompt: [InputItem], maxTokens: Int, sampler: inout Sampler,
                         adapters: [ActiveAdapter] = [], stopTokens: Set<Int32> = [],
                         pool: ThreadPool = .shared, onToken: (Int32) -> Bool = { _ in true }) throws -> [Int32] {
        guard !prompt.isEmpty else { throw LlamaError.emptyInput }
        guard prompt.count <= config.contextLength else {
            throw LlamaError.contextOverflow(needed: prompt.count, contextLength: config.contextLength)
        }
        let cache = KVCache(config: self.config, reserve: min(config.contextLength, prompt.count + max(0, maxTokens)))
        var out = try forward(prompt, cache: cache, adapters: adapters, logits: .last, hidden: .last, pool: pool)
        var generated: [Int32] = []
        while generated.count < maxTokens {
            let next = sampler.sample(out.lastLogits)
            if stopTokens.contains(next) { break }
            generated.append(next)
            if !onToken(next) || cache.count >= config.contextLength || generated.count == maxTokens { break }
            out = try forward([.token(next)], cache: cache, adapters: adapters, logits: .last, hidden: .last, pool: pool)
        }
        return generated
    }
}
