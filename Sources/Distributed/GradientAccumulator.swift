// Summing a global batch's gradient so that the sum does not depend on how many ranks computed
// it (docs/scaling.md §Results independent of N).
//
// A Float sum depends on its order. One process that sums eight samples' rows in one product and
// two ranks that sum four each and then add the halves round differently, and AdamW carries the
// difference forward: after 10 steps it was 1.7e-4 of a LoRA B matrix's own scale (B starts at zero).
// So a trainer cuts every global batch into the same micro-shards at any number of ranks, computes
// each micro-shard's Float gradient alone, and folds it into this Double accumulator; the ranks
// all-reduce the Doubles and round once to Float.
//
// Why Double makes the order irrelevant: Float addends carry 24 significant bits, Double 53, so a
// Double sum of Float addends is exact, in any order, as long as one element's addends (and their
// partial sums) span fewer than about 29 binary orders of magnitude; rounded once to Float, every
// order then gives the same bits. Past that span the sum can round, and the Float result can
// differ in its last bit, with a chance of about 2^-29 per element.

/// Accumulates Float gradient buffers over micro-shards in Double, then sums them over ranks and
/// writes the rounded result back. The buffers are passed to each call, laid end to end in the
/// same order every time. Not thread-safe: one per trainer thread.
public final class GradientAccumulator {
    // [count] the running sum of the buffers laid end to end
    private let sums: UnsafeMutableBufferPointer<Double>
    private let reducer: GradientBucketReducer<Double>

    /// - Parameter count: the elements of all buffers together.
    public init(count: Int) throws(DistributedError) {
        guard count >= 0 else { throw .bufferSizeMismatch(what: "gradient accumulator", expected: 0, found: count) }
        sums = .allocate(capacity: count)
        sums.initialize(repeating: 0)
        do {
            reducer = try GradientBucketReducer(buffers: [sums])
        } catch {
            sums.deallocate()
            throw error
        }
    }

    deinit { sums.deallocate() }

    /// Elements accumulated over all buffers.
    public var count: Int { sums.count }

    /// Zeroes the running sum (the start of a global batch).
    public func reset() {
        sums.update(repeating: 0)
    }

    /// Adds `buffers`' contents to the running sum and zeroes them, ready for the next
    /// micro-shard's backward pass.
    public func fold(_ buffers: [UnsafeMutableBufferPointer<Float>]) throws(DistributedError) {
        try check(buffers)
        var at = 0
        for view in buffers {
            let sum = sums.baseAddress! + at, n = view.count
            guard let g = view.baseAddress else { continue }
            // 8 lanes at a time: a micro-shard's whole gradient passes through here each fold.
            var i = 0
            while i + 8 <= n {
                let values = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                let running = UnsafeRawPointer(sum + i).loadUnaligned(as: SIMD8<Double>.self)
                UnsafeMutableRawPointer(sum + i).storeBytes(of: running + SIMD8<Double>(values), as: SIMD8<Double>.self)
                UnsafeMutableRawPointer(g + i).storeBytes(of: SIMD8<Float>(repeating: 0), as: SIMD8<Float>.self)
                i += 8
            }
            while i < n {
                sum[i] += Double(g[i])
                g[i] = 0
                i += 1
            }
            at += n
        }
    }

    /// Sums the running sums over all ranks (a collective: every rank calls it, in the same order)
    /// and writes them, rounded to Float, into `buffers`.
    public func reduce(into buffers: [UnsafeMutableBufferPointer<Float>], on communicator: any Communicator) throws(DistributedError) {
        try check(buffers)
        try reducer.allReduceSum(on: communicator)
        var at = 0
        for view in buffers {
            let sum = sums.baseAddress! + at, n = view.count
            guard let g = view.baseAddress else { continue }
            for i in 0 ..< n { g[i] = Float(sum[i]) }
            at += n
        }
    }

    private func check(_ buffers: [UnsafeMutableBufferPointer<Float>]) throws(DistributedError) {
        let total = buffers.reduce(0) { $0 + $1.count }
        guard total == sums.count else { throw .bufferSizeMismatch(what: "gradient buffers", expected: sums.count, found: total) }
    }
}
