// The key/value cache of one sequence: the RoPE-rotated keys and the values of every
// position already processed, per layer and KV head, so a decode step attends to the
// past without recomputing it (llama2.c RunState.key_cache/value_cache, one per
// sequence here because the server batches independent requests).
//
// Layout: k[layer][kvHead][position][D] (and v the same), so one head's keys are a
// contiguous [positions, D] matrix: the attention kernel streams it row by row.
// Storage grows geometrically up to the model's context length; it never shrinks
// except through `truncate(to:)`, which only moves the position counter.

/// Per-sequence attention cache. Owned by one session; not shared across threads.
public final class KVCache {
    /// Positions stored so far; the next token goes at this position.
    public private(set) var count: Int = 0
    /// Positions the current storage holds without growing.
    public private(set) var capacity: Int
    /// The model's context length: the hard limit.
    public let maxPositions: Int

    let layerCount: Int
    let kvHeadCount: Int
    let headDim: Int
    /// [L, Hkv, capacity, D]
    private(set) var keys: UnsafeMutableBufferPointer<Float>
    /// [L, Hkv, capacity, D]
    private(set) var values: UnsafeMutableBufferPointer<Float>

    /// An empty cache for a model with `config`. `reserve` positions are allocated up
    /// front (default 256, clamped to the context length); more are added on demand.
    public init(config: LlamaConfig, reserve: Int = 256) {
        layerCount = config.layerCount
        kvHeadCount = config.kvHeadCount
        headDim = config.headDim
        maxPositions = config.contextLength
        capacity = max(1, min(reserve, config.contextLength))
        let n = layerCount * kvHeadCount * capacity * headDim
        keys = .allocate(capacity: n)
        values = .allocate(capacity: n)
        keys.initialize(repeating: 0)
        values.initialize(repeating: 0)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// An independent copy holding the same positions (e.g. a prompt prefix computed once
    /// and then extended by many sequences). Only the used positions are copied.
    public func copy(reserve extra: Int = 0) -> KVCache {
        let c = KVCache(layerCount: layerCount, kvHeadCount: kvHeadCount, headDim: headDim, maxPositions: maxPositions,
                        capacity: max(1, min(maxPositions, count + max(0, extra))))
        let used = count * headDim
        for block in 0 ..< layerCount * kvHeadCount where used > 0 {
            (c.keys.baseAddress! + block * c.capacity * headDim).update(from: keys.baseAddress! + block * capacity * headDim, count: used)
            (c.values.baseAddress! + block * c.capacity * headDim).update(from: values.baseAddress! + block * capacity * headDim, count: used)
        }
        c.count = count
        return c
    }

    private init(layerCount: Int, kvHeadCount: Int, headDim: Int, maxPositions: Int, capacity: Int) {
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.maxPositions = maxPositions
        self.capacity = capacity
        let n = layerCount * kvHeadCount * capacity * headDim
        keys = .allocate(capacity: n)
        values = .allocate(capacity: n)
        keys.initialize(repeating: 0)
        values.initialize(repeating: 0)
    }

    /// Floats one position occupies across layers and heads, keys and values together.
    public var floatsPerPosition: Int { 2 * layerCount * kvHeadCount * headDim }

    /// The keys and values of `positions` as one block, laid out [K|V][L, Hkv, n, D]: what
    /// a prefix cache keeps and `append(block:positions:)` puts back.
    public func block(positions: Range<Int>) -> [Float] {
        precondition(positions.lowerBound >= 0 && positions.upperBound <= count, "positions \(positions) outside 0..<\(count)")
        let n = positions.count
        let rows = layerCount * kvHeadCount
        return [Float](unsafeUninitializedCapacity: 2 * rows * n * headDim) { out, written in
            for (half, source) in [keys, values].enumerated() {
                for row in 0 ..< rows {
                    (out.baseAddress! + (half * rows + row) * n * headDim)
                        .initialize(from: source.baseAddress! + (row * capacity + positions.lowerBound) * headDim, count: n * headDim)
                }
            }
            written = 2 * rows * n * headDim
        }
    }

    /// Appends `positions` positions whose keys and values are `block` (as `block(positions:)`
    /// returned them, computed at the same positions of the same prefix).
    public func append(block: [Float], positions n: Int) throws {
        let rows = layerCount * kvHeadCount
        precondition(block.count == 2 * rows * n * headDim, "block of \(block.count) floats for \(n) positions")
        try reserve(extra: n)
        block.withUnsafeBufferPointer { source in
            for (half, target) in [keys, values].enumerated() {
                for row in 0 ..< rows {
                    (target.baseAddress! + (row * capacity + count) * headDim)
                        .update(from: source.baseAddress! + (half * rows + row) * n * headDim, count: n * headDim)
                }
            }
        }
        count += n
    }

    /// Forgets positions from `newCount` on (e.g. to reuse a shared prompt prefix).
    public func truncate(to newCount: Int) {
        count = max(0, min(count, newCount))
    }

    /// Forgets everything.
    public func reset() { count = 0 }

    /// Makes room for `extra` more positions, or throws when the context is exceeded.
    func reserve(extra: Int) throws {
        let needed = count + extra
        guard needed <= maxPositions else {
            throw LlamaError.contextOverflow(needed: needed, contextLength: maxPositions)
        }
        guard needed > capacity else { return }
        var newCapacity = capacity
        while newCapacity < needed { newCapacity = min(maxPositions, newCapacity * 2) }
        let n = layerCount * kvHeadCount * newCapacity * headDim
        let newKeys = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        let newValues = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        newKeys.initialize(repeating: 0)
        newValues.initialize(repeating: 0)
        let used = count * headDim
        for block in 0 ..< layerCount * kvHeadCount where used > 0 {
            let from = block * capacity * headDim, to = block * newCapacity * headDim
            (newKeys.baseAddress! + to).update(from: keys.baseAddress! + from, count: used)
            (newValues.baseAddress! + to).update(from: values.baseAddress! + from, count: used)
        }
        keys.deallocate()
        values.deallocate()
        keys = newKeys
        values = newValues
        capacity = newCapacity
    }

    /// Start of head `kvHead`'s [capacity, D] key block in `layer`.
    @inline(__always)
    func keyBase(layer: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        keys.baseAddress! + (layer * kvHeadCount + kvHead) * capacity * headDim
    }

    /// Start of head `kvHead`'s [capacity, D] value block in `layer`.
    @inline(__always)
    func valueBase(layer: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        values.baseAddress! + (layer * kvHeadCount + kvHead) * capacity * headDim
    }

    /// Records that `n` positions were written by a forward pass.
    func advance(by n: Int) { count += n }
}
