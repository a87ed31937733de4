// HDRecDecoder over the project's Llama decoder: the base model with the
// bundle's two LoRA adapters, one chosen per pass (the base weights are shared
// and never merged, so a hot swap only replaces the small adapters).
//
// Prefix reuse (PrefixCache.swift): every prompt starts with the instruction P_u, kept
// once per pass; with a cache budget, every further block of a prompt seen before (a
// returning user's previous history) is reused too. The cache belongs to this object,
// which is built for one adapter pair and one set of heads, so it is keyed by the
// adapter and heads versions.
import Foundation
import Kernels
import Llama

public final class LlamaHDRecDecoder: HDRecDecoder, @unchecked Sendable {
    public let model: LlamaModel
    public let textAdapter: LoRAAdapter
    public let idAdapter: LoRAAdapter
    let pool: ThreadPool
    /// Whether shared prefixes are reused (on by default; off to compare).
    public let reusePrefix: Bool
    private let cache: PrefixCache

    public var width: Int { model.config.width }
    public var prefixCachePolicy: PrefixCachePolicy { cache.policy }

    public init(model: LlamaModel, textAdapter: LoRAAdapter, idAdapter: LoRAAdapter, pool: ThreadPool = .shared,
                reusePrefix: Bool = true, prefixCache: PrefixCachePolicy = PrefixCachePolicy()) {
        self.model = model
        self.textAdapter = textAdapter
        self.idAdapter = idAdapter
        self.pool = pool
        self.reusePrefix = reusePrefix
        self.cache = PrefixCache(policy: prefixCache)
    }

    func adapter(_ role: AdapterRole) -> LoRAAdapter { role == .text ? textAdapter : idAdapter }

    static func llamaItems(_ inputs: ArraySlice<DecoderInput>) -> [InputItem] {
        inputs.map { input in
            switch input {
            case let .token(t): return .token(t)
            case let .embedding(row): return .embedding(row)
            }
        }
    }

    public func lastHiddenStates(_ sequences: [[DecoderInput]], spanEnds: [[Int]], sharedPrefixLength: Int,
                                 adapter role: AdapterRole) throws -> [Float] {
        guard !sequences.isEmpty else { return [] }
        guard spanEnds.count == sequences.count else {
            throw HDRecInferenceError.decoder(pass: role.rawValue, underlying: "\(spanEnds.count) span lists for \(sequences.count) sequences")
        }
        let active = [ActiveAdapter(adapter(role))]
        let prefix = reusePrefix ? sharedPrefixLength : 0
        // Per sequence: its block boundaries and keys, and a KV cache filled with the
        // longest cached prefix; the forward then runs only the rest.
        var plans: [(ends: [Int], keys: [PrefixCache.BlockKey], reused: Int)] = []
        var caches: [KVCache] = []
        for (sequence, spans) in zip(sequences, spanEnds) {
            let ends = reusePrefix ? PrefixCache.blockEnds(count: sequence.count, prefix: prefix, spanEnds: spans) : []
            let keys = PrefixCache.keys(sequence, ends: ends, role: role)
            let found = cache.lookup(keys)
            let kv = KVCache(config: model.config, reserve: sequence.count)
            var start = 0
            for (i, block) in found.enumerated() {
                try kv.append(block: block, positions: ends[i] - start)
                start = ends[i]
            }
            // A prompt asked before is cached whole; its last position is still computed,
            // because its hidden state is what the pass reads.
            if start == sequence.count {
                start -= 1
                kv.truncate(to: start)
            }
            cache.record(positions: sequence.count, reused: start, prefix: prefix)
            plans.append((ends, keys, found.count))
            caches.append(kv)
        }
        let inputs = zip(sequences, caches).map { SequenceInput(items: Self.llamaItems($0[$1.count...]), cache: $1) }
        let outputs = try model.forward(inputs, adapters: active, logits: .none, hidden: .last, pool: pool)
        for (plan, kv) in zip(plans, caches) where plan.reused < plan.ends.count {
            var blocks: [[Float]] = [], positions: [Int] = []
            var start = plan.reused == 0 ? 0 : plan.ends[plan.reused - 1]
            for i in plan.reused ..< plan.ends.count {
                blocks.append(kv.block(positions: start ..< plan.ends[i]))
                positions.append(plan.ends[i] - start)
                start = plan.ends[i]
            }
            var first = 0
            if plan.reused == 0, prefix > 0, plan.ends.first == prefix {
                cache.pin(plan.keys[0], block: blocks[0], positions: prefix)
                first = 1
            }
            cache.insert(Array(plan.keys[(plan.reused + first)...]), blocks: Array(blocks[first...]), positions: Array(positions[first...]))
        }
        return outputs.flatMap(\.hidden)
    }
}
