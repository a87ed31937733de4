// HDRecDecoder over the project's Llama decoder: the base model with the
// bundle's two LoRA adapters, one chosen per pass (the base weights are shared
// and never merged, so a hot swap only replaces the small adapters).
//
// Prefix reuse: every user prompt starts with the same instruction P_u
// (identical inputs, [SEQ] row included). Per adapter, a small pool keeps KV
// caches that already hold P_u's keys and values; a pass takes caches from it,
// truncates them back to the prefix, runs only the rest, and returns them.
// The pool belongs to this object, which is built for one adapter pair and one
// set of heads, so the cache is keyed by the adapter and heads versions.
import Foundation
import Kernels
import Llama

public final class LlamaHDRecDecoder: HDRecDecoder, @unchecked Sendable {
    public let model: LlamaModel
    public let textAdapter: LoRAAdapter
    public let idAdapter: LoRAAdapter
    let pool: ThreadPool
    /// Caches kept per role (bounded), holding `prefix` already.
    private var free: [AdapterRole: [KVCache]] = [:]
    private var prefix: [AdapterRole: [DecoderInput]] = [:]
    private let lock = NSLock()
    /// At most this many idle caches are kept per adapter.
    public let maxPooledCaches: Int
    /// Whether shared prefixes are reused (on by default; off to compare).
    public let reusePrefix: Bool

    public var width: Int { model.config.width }

    public init(model: LlamaModel, textAdapter: LoRAAdapter, idAdapter: LoRAAdapter, pool: ThreadPool = .shared,
                reusePrefix: Bool = true, maxPooledCaches: Int = 16) {
        self.model = model
        self.textAdapter = textAdapter
        self.idAdapter = idAdapter
        self.pool = pool
        self.reusePrefix = reusePrefix
        self.maxPooledCaches = maxPooledCaches
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

    public func lastHiddenStates(_ sequences: [[DecoderInput]], sharedPrefixLength: Int, adapter role: AdapterRole) throws -> [Float] {
        guard !sequences.isEmpty else { return [] }
        let active = [ActiveAdapter(adapter(role))]
        let p = reusePrefix ? sharedPrefixLength : 0
        let usePrefix = p > 0 && sequences.allSatisfy { $0.count > p }
        let caches = try usePrefix ? takeCaches(sequences.count, prefix: Array(sequences[0].prefix(p)), role: role, active: active)
                                   : sequences.map { KVCache(config: model.config, reserve: $0.count) }
        defer { if usePrefix { giveBack(caches, role: role) } }
        let start = usePrefix ? p : 0
        let inputs = zip(sequences, caches).map { SequenceInput(items: Self.llamaItems($0[start...]), cache: $1) }
        let outputs = try model.forward(inputs, adapters: active, logits: .none, pool: pool)
        let c = width
        var out = [Float]()
        out.reserveCapacity(sequences.count * c)
        for o in outputs {
            out += o.hidden[(o.count - 1) * c ..< o.count * c]
        }
        return out
    }

    /// `n` caches holding exactly `prefix` for `role`, computing the prefix for new ones.
    private func takeCaches(_ n: Int, prefix inputs: [DecoderInput], role: AdapterRole, active: [ActiveAdapter]) throws -> [KVCache] {
        var taken: [KVCache] = []
        lock.withLock {
            if prefix[role] != inputs {
                // A different prefix (another prompt configuration): forget the old caches.
                prefix[role] = inputs
                free[role] = []
            }
            while taken.count < n, let c = free[role]?.popLast() { taken.append(c) }
        }
        for c in taken { c.truncate(to: inputs.count) }
        let missing = n - taken.count
        if missing > 0 {
            // The prefix is computed once, then copied (its keys and values are the same for every sequence).
            let first = KVCache(config: model.config, reserve: max(256, inputs.count * 4))
            _ = try model.forward(Self.llamaItems(inputs[...]), cache: first, adapters: active, logits: .none, pool: pool)
            taken.append(first)
            for _ in 1 ..< missing { taken.append(first.copy(reserve: 256)) }
        }
        return taken
    }

    private func giveBack(_ caches: [KVCache], role: AdapterRole) {
        lock.withLock {
            var list = free[role] ?? []
            for c in caches where list.count < maxPooledCaches { list.append(c) }
            free[role] = list
        }
    }
}
