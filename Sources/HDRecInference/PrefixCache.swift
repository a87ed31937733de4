// Automatic prefix caching across requests (docs/service.md "Prefix cache"). Product backends ask again and
// again for the same users, and each call's history is the previous one plus an item or
// two; both prompts then start with exactly the positions of the previous call (the
// instruction P_u, then each kept item and its [SEQ]), so their keys and values can be
// reused instead of recomputed.
//
// A prompt is cut into blocks: the first block is the shared prefix P_u (every prompt has
// it), then one block per item (its text or its slot, and its [SEQ]), so a returning
// user's grown history finds every block of its previous prompt. A block's key is a hash chain over the inputs of
// every position up to its end (tokens by id, embedding rows by their bytes) and the pass,
// so equal keys mean equal prefixes and hence equal keys and values. Blocks are kept in an
// LRU map under a byte budget. The cache belongs to one decoder, which belongs to one
// adapter pair and one set of heads: a swap builds a new decoder, so entries are keyed by
// adapter version by construction. A history longer than the prompt window loses its
// oldest item, every position shifts, and only P_u is reused (docs/service.md).
import Foundation
import Synchronization

/// How a decoder caches prompt prefixes.
public struct PrefixCachePolicy: Sendable {
    /// Bytes of keys and values kept at most; 0 turns caching off (the shared prefix P_u is
    /// still computed once per batch).
    public var capacityBytes: Int
    /// Counters shared by every decoder built with this policy (so they survive swaps).
    public var stats: PrefixCacheStats

    public init(capacityBytes: Int = 256 << 20, stats: PrefixCacheStats = PrefixCacheStats()) {
        self.capacityBytes = capacityBytes
        self.stats = stats
    }

    public static var disabled: PrefixCachePolicy { PrefixCachePolicy(capacityBytes: 0) }
}

/// Monotonic counters of prefix-cache use (the service's /metrics reads them).
public final class PrefixCacheStats: Sendable {
    private let counters = Mutex(Counters())

    public struct Counters: Sendable, Equatable {
        /// Sequences looked up, and those that reused at least one block beyond P_u.
        public var lookups = 0
        public var hits = 0
        /// Prompt positions looked up, and those whose keys and values came from the cache.
        public var positions = 0
        public var reusedPositions = 0
        public var evictedBlocks = 0
        /// Bytes held now, over every live cache.
        public var bytes = 0
    }

    public init() {}
    public var snapshot: Counters { counters.withLock { $0 } }
    func update(_ body: (inout Counters) -> Void) { counters.withLock { body(&$0) } }
}

/// The block store of one decoder. Thread-safe.
final class PrefixCache: Sendable {
    private struct Entry {
        let keysAndValues: [Float]
        let positions: Int
        var lastUse: UInt64
    }

    private struct Store {
        /// The P_u blocks (one per pass): kept whatever the budget, never evicted.
        var pinned: [BlockKey: Entry] = [:]
        var entries: [BlockKey: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    struct BlockKey: Hashable, Sendable {
        let high: UInt64
        let low: UInt64
    }

    let policy: PrefixCachePolicy
    private let store = Mutex(Store())

    init(policy: PrefixCachePolicy) { self.policy = policy }

    deinit {
        let held = store.withLock { $0.bytes }
        policy.stats.update { $0.bytes -= held }
    }


    /// Block boundaries of a sequence of `count` positions whose first `prefix` are P_u and
    /// whose items end at `spanEnds`: P_u's end, then each span end past it, in order
    /// (the last may be `count`: a block that a later, longer prompt reuses whole).
    static func blockEnds(count: Int, prefix: Int, spanEnds: [Int]) -> [Int] {
        var ends: [Int] = []
        if prefix > 0, prefix < count { ends.append(prefix) }
        for end in spanEnds where end > (ends.last ?? 0) && end > prefix && end <= count { ends.append(end) }
        return ends
    }

    /// The chained keys of the blocks ending at `ends`.
    static func keys(_ inputs: [DecoderInput], ends: [Int], role: AdapterRole) -> [BlockKey] {
        var keys: [BlockKey] = []
        keys.reserveCapacity(ends.count)
        var start = 0
        var previous = BlockKey(high: role == .text ? 1 : 2, low: 0)
        for end in ends {
            // Two independently seeded 64-bit hashes of (previous key, block inputs).
            var a = Hasher(), b = Hasher()
            a.combine(previous)
            b.combine(previous.low)
            b.combine(previous.high)
            b.combine(end)
            for input in inputs[start ..< end] {
                switch input {
                case .token(let t):
                    a.combine(0 as UInt8); a.combine(t)
                    b.combine(t); b.combine(0 as UInt8)
                case .embedding(let row):
                    row.withUnsafeBytes { raw in
                        a.combine(1 as UInt8); a.combine(bytes: raw)
                        b.combine(bytes: raw); b.combine(1 as UInt8)
                    }
                }
            }
            previous = BlockKey(high: UInt64(bitPattern: Int64(a.finalize())), low: UInt64(bitPattern: Int64(b.finalize())))
            keys.append(previous)
            start = end
        }
        return keys
    }

    /// The cached blocks of the longest cached prefix of `keys`, in order.
    func lookup(_ keys: [BlockKey]) -> [[Float]] {
        store.withLock { s in
            var found: [[Float]] = []
            if let first = keys.first, let pinned = s.pinned[first] { found.append(pinned.keysAndValues) }
            for key in keys.dropFirst(found.count) {
                guard var entry = s.entries[key] else { break }
                s.clock += 1
                entry.lastUse = s.clock
                s.entries[key] = entry
                found.append(entry.keysAndValues)
            }
            return found
        }
    }

    /// Keeps P_u's keys and values for one pass (outside the budget).
    func pin(_ key: BlockKey, block: [Float], positions: Int) {
        store.withLock { s in
            if s.pinned[key] == nil { s.pinned[key] = Entry(keysAndValues: block, positions: positions, lastUse: 0) }
        }
    }

    /// Keeps the blocks `blocks[i]` (keys and values of `positions[i]` positions) under
    /// `keys[i]`, evicting the least recently used beyond the budget.
    func insert(_ keys: [BlockKey], blocks: [[Float]], positions: [Int]) {
        guard policy.capacityBytes > 0 else { return }
        var added = 0, evicted = 0, freed = 0
        store.withLock { s in
            for (i, key) in keys.enumerated() where s.entries[key] == nil {
                s.clock += 1
                s.entries[key] = Entry(keysAndValues: blocks[i], positions: positions[i], lastUse: s.clock)
                let size = blocks[i].count * MemoryLayout<Float>.size
                s.bytes += size
                added += size
            }
            guard s.bytes > policy.capacityBytes else { return }
            // Evict the oldest until a tenth of the budget is free: one sort per many inserts.
            let target = policy.capacityBytes - policy.capacityBytes / 10
            for (key, entry) in s.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
                guard s.bytes > target else { break }
                s.entries.removeValue(forKey: key)
                let size = entry.keysAndValues.count * MemoryLayout<Float>.size
                s.bytes -= size
                freed += size
                evicted += 1
            }
        }
        policy.stats.update {
            $0.bytes += added - freed
            $0.evictedBlocks += evicted
        }
    }

    func record(positions: Int, reused: Int, prefix: Int) {
        policy.stats.update {
            $0.lookups += 1
            $0.positions += positions
            $0.reusedPositions += reused
            if reused > prefix { $0.hits += 1 }
        }
    }
}
